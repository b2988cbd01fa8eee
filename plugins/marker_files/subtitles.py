"""SRT and WebVTT: one cue per event (its label and confidences), on whole frames of the media, from the
media's first frame (players and editors place subtitles from the start of the file). A cue shows for
at least a second (a scene cut lasts one frame), ending where its event does when that is later."""

from __future__ import annotations

from fractions import Fraction

from .timing import MarkedMedia

MIN_CUE_SECONDS = 1


def _clock(seconds: Fraction, separator: str) -> str:
    millis = round(seconds * 1000)
    h, rest = divmod(millis, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


def _text(marker) -> str:
    event = marker.event
    words = [f"{marker.name} {float(event.get('confidence') or 0):.2f}"]
    audio, video = event.get("audio_confidence"), event.get("video_confidence")
    if audio is not None or video is not None:
        words.append(
            "(" + " / ".join(f"{k} {v:.2f}" for k, v in (("audio", audio), ("video", video)) if v is not None) + ")"
        )
    return " ".join(words)


def render(marked: MarkedMedia, kind: str = "srt") -> str:
    vtt = kind == "vtt"
    out = ["WEBVTT", ""] if vtt else []
    for number, marker in enumerate(marked.markers, 1):
        start = Fraction(marker.frame) / marked.rate
        end = max(Fraction(marker.frame + marker.duration) / marked.rate, start + MIN_CUE_SECONDS)
        text = _text(marker)
        if vtt:
            text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            out += [f"{_clock(start, '.')} --> {_clock(end, '.')}", text, ""]
        else:
            out += [str(number), f"{_clock(start, ',')} --> {_clock(end, ',')}", text, ""]
    return "\n".join(out) + ("\n" if out else "")
