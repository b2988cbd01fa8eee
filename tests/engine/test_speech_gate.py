"""Silero's Speech checked against the tagger: laughs, coughs and throat clearing are not speech."""

from __future__ import annotations

import numpy as np

from avevents.engine.postprocess import ScoreTrack
from avevents.engine.speech_gate import gate_speech


def _silero(values):
    return ScoreTrack("Speech", 0.0, 0.032, 0.032, np.repeat(np.asarray(values, np.float32), 16))  # 0.512 s each


def _slots(label, values):
    return ScoreTrack(label, 0.0, 0.5, 0.5, np.asarray(values, np.float32))


def test_a_laugh_alone_is_not_speech_and_talking_through_one_is():
    # Slot scores of the kinds seen on real material: a laugh (tagger Speech 0.07, Laughter family 0.50),
    # words (Speech 0.80, rivals 0.02), words over a louder laugh (0.60 / 0.70), a cough the tagger hears
    # as neither (0.03 / 0.06).
    silero = _silero([0.9, 0.95, 0.9, 0.8])
    tagger = _slots("~speech (tagger)", [0.07, 0.80, 0.60, 0.03])
    rivals = _slots("~voice sounds other than speech", [0.50, 0.02, 0.70, 0.06])
    gated = gate_speech(silero, tagger, rivals).scores.reshape(4, 16)[:, 4]  # a step well inside each slot
    assert gated[0] == np.float32(0.07)  # the laugh: below Silero's release level, no Speech
    assert gated[1] == np.float32(0.95)  # words: Silero's own score
    assert gated[2] == np.float32(0.60)  # words over a laugh: still above Silero's 0.5 threshold
    assert gated[3] == np.float32(0.03)  # the tagger hears no speech: not Speech either


def test_faint_rivals_leave_speech_the_tagger_hears():
    gated = gate_speech(_silero([0.9]), _slots("~speech (tagger)", [0.3]), _slots("~rivals", [0.5]))
    assert gated.scores[4] == np.float32(0.3)  # the rival is louder: lowered
    kept = gate_speech(_silero([0.9]), _slots("~speech (tagger)", [0.3]), _slots("~rivals", [0.08]))
    assert kept.scores[4] == np.float32(0.9)  # the rival too faint to count, the tagger hears speech


def test_no_tagger_scores_leave_silero_alone():
    silero = _silero([0.9])
    empty = _slots("~speech (tagger)", [])
    assert gate_speech(silero, empty, empty) is silero
