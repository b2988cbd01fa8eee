"""Speech that is really speech: Silero VAD's track checked against the AudioSet tagger's.

Silero answers "is a voice here", so it fires on laughs, coughs, throat clearing and sighs (measured: 48
false Speech events on real long-form material, issue 17). Where the tagger runs too, a Silero step
counts as speech only while, in its half-second slot, the tagger hears speech too (its Speech family at
least SPEECH_SUPPORT) and at least as strongly as the voice sounds that are not speech (laughter,
respiratory sounds, crying, screams...). Elsewhere the step keeps the lower of Silero's and the tagger's
Speech, so a laugh or a cough alone ends the passage and talking through a laugh (the tagger's Speech
high too) keeps it. Measured on the real long-form files (bench/RESULTS.md): each of the 32 spoken words
placed there scores the tagger's Speech 0.64 or more, and the gate keeps the 31 Silero finds; the
non-speech sounds Silero calls speech fall from 13 (7 laughs, coughs, sneezes, screams) to 4 (2).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .detectors.speech_rivals import TAGGER_SPEECH, VOCAL_RIVALS
from .postprocess import ScoreTrack

RIVAL_FLOOR = 0.1  # below this the rivals are not heard
SPEECH_SUPPORT = 0.2  # the tagger's Speech below this: it hears no speech in the slot


def gate_speech(speech: ScoreTrack, tagger_speech: ScoreTrack, rivals: ScoreTrack) -> ScoreTrack:
    """``speech`` (Silero) with the steps where the tagger hears no speech, or a non-speech voice sound
    louder than speech, lowered to the tagger's Speech score."""
    if not len(speech.scores) or not len(tagger_speech.scores):
        return speech
    centres = speech.start_seconds + (np.arange(len(speech.scores)) + 0.5) * speech.step_seconds
    slot = np.floor((centres - tagger_speech.start_seconds) / tagger_speech.step_seconds).astype(int)
    slot = np.clip(slot, 0, len(tagger_speech.scores) - 1)
    own, rival = tagger_speech.scores[slot], rivals.scores[np.minimum(slot, len(rivals.scores) - 1)]
    not_speech = ((rival > own) & (rival >= RIVAL_FLOOR)) | (own < SPEECH_SUPPORT)
    scores = np.where(not_speech, np.minimum(speech.scores, own), speech.scores).astype(np.float32)
    return replace(speech, scores=scores)


def tagger_tracks(outputs: list) -> tuple[ScoreTrack, ScoreTrack] | None:
    """(the tagger's Speech, the rival voice sounds) among a detector's ``outputs``, if it made them."""
    hidden = {o.label: o for o in outputs if o.label in (TAGGER_SPEECH, VOCAL_RIVALS)}
    return (hidden[TAGGER_SPEECH], hidden[VOCAL_RIVALS]) if len(hidden) == 2 else None
