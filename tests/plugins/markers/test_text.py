"""A marker's name and note for an event."""

from __future__ import annotations

from avevents.plugins.markers.text import marker_name, marker_note, source_name


def test_note_says_confidences_weights_model_and_where():
    event = {
        "label": "Laughter",
        "start_seconds": 1,
        "end_seconds": 2.5,
        "confidence": 0.934,
        "audio_confidence": 0.88,
        "video_confidence": None,
        "audio_weight": 0.62,
        "video_weight": 0.38,
        "model": "fusion 2",
    }
    assert marker_name(event) == "Laughter"
    assert marker_note(event, "a.mov") == (
        "confidence 0.93 · audio 0.88 / video n/a · attention audio 0.62 / video 0.38 · fusion 2 · a.mov 1.00-2.50 s"
    )
    bare = {"label": "Speech", "start_seconds": 0.0, "end_seconds": 0.0}
    assert marker_note(bare, "b.wav") == "confidence 0.00 · b.wav 0.00-0.00 s"


def test_source_name_of_posix_and_windows_paths():
    assert source_name("/m/shots/a.mov") == source_name(r"D:\m\shots\a.mov") == "a.mov"
    assert source_name("a.mov") == "a.mov"
