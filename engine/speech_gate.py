"""Speech that is really speech: Silero VAD's track checked against the AudioSet tagger's.

Silero answers "is a voice here", so it fires on laughs, coughs, throat clearing and sighs (measured: 48
false Speech events on real long-form material, issue 17). Where the tagger runs too, a Silero step
counts as speech only while, in its half-second slot, the tagger's Speech family scores at least as high
as the voice sounds that are not speech (laughter, respiratory sounds, crying, screams...); where they
score higher, the step keeps the lower of Silero's and the tagger's Speech, so a laugh alone ends the
passage and talking through a laugh (the tagger's Speech high too) keeps it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .detectors.speech_rivals import TAGGER_SPEECH, VOCAL_RIVALS
from .postprocess import ScoreTrack

RIVAL_FLOOR = 0.1  # below this the rivals are not heard: Silero's word stands


def gate_speech(speech: ScoreTrack, tagger_speech: ScoreTrack, rivals: ScoreTrack) -> ScoreTrack:
    """``speech`` (Silero) with the steps where a non-speech voice sound outscores the tagger's Speech
    lowered to the tagger's Speech score."""
    if not len(speech.scores) or not len(tagger_speech.scores):
        return speech
    centres = speech.start_seconds + (np.arange(len(speech.scores)) + 0.5) * speech.step_seconds
    slot = np.floor((centres - tagger_speech.start_seconds) / tagger_speech.step_seconds).astype(int)
    slot = np.clip(slot, 0, len(tagger_speech.scores) - 1)
    own, rival = tagger_speech.scores[slot], rivals.scores[np.minimum(slot, len(rivals.scores) - 1)]
    rival_wins = (rival > own) & (rival >= RIVAL_FLOOR)
    scores = np.where(rival_wins, np.minimum(speech.scores, own), speech.scores).astype(np.float32)
    return replace(speech, scores=scores)


def tagger_tracks(outputs: list) -> tuple[ScoreTrack, ScoreTrack] | None:
    """(the tagger's Speech, the rival voice sounds) among a detector's ``outputs``, if it made them."""
    hidden = {o.label: o for o in outputs if o.label in (TAGGER_SPEECH, VOCAL_RIVALS)}
    return (hidden[TAGGER_SPEECH], hidden[VOCAL_RIVALS]) if len(hidden) == 2 else None
