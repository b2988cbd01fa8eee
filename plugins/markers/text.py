"""A marker's name and note for an event, the same in every editor (standard library only).

The name is the event's label; the note reads
'confidence 0.93 · audio 0.88 / video 0.71 · attention audio 0.62 / video 0.38 · model · source 1.00-3.00 s'.
"""

from __future__ import annotations


def marker_name(event: dict) -> str:
    """The marker's name: the event's label."""
    return event["label"]


def marker_note(event: dict, source: str) -> str:
    """The marker's note: confidences, attention weights (when the model gives them), the model and where in
    ``source`` (a file name) the event is."""
    parts = [f"confidence {float(event.get('confidence') or 0):.2f}"]
    audio, video = event.get("audio_confidence"), event.get("video_confidence")
    if audio is not None or video is not None:
        parts.append(f"audio {_value(audio)} / video {_value(video)}")
    w_audio, w_video = event.get("audio_weight"), event.get("video_weight")
    if w_audio is not None and w_video is not None:
        parts.append(f"attention audio {w_audio:.2f} / video {w_video:.2f}")
    if event.get("model"):
        parts.append(str(event["model"]))
    parts.append(f"{source} {float(event['start_seconds']):.2f}-{float(event['end_seconds']):.2f} s")
    return " · ".join(parts)


def source_name(path: str) -> str:
    """The file name of a media path, POSIX or Windows, as a note names it."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _value(x) -> str:
    return "n/a" if x is None else f"{float(x):.2f}"
