"""Events -> timeline markers, and writing them without touching the user's own (standard library only).

Every avevents marker carries customData ``avevents|<event id>|<frame>`` (invisible in Resolve's UI): a
re-run deletes exactly those in its range and adds the new ones; markers without the tag are the user's
and are never changed. Resolve refuses a marker on a frame that already has one, so an event whose first
frame is taken moves later inside its own duration (reported as nudged) or, with no free frame, is
reported as skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .palette import color_for
from .scope import Placement, Plan

TAG = "avevents"
MAX_NUDGE_FRAMES = 12


@dataclass
class MarkerSpec:
    frame: int  # relative to the timeline start
    color: str
    name: str
    note: str
    duration: int  # frames, >= 1
    custom_data: str
    confidence: float


@dataclass
class ApplyReport:
    added: int = 0
    removed: int = 0
    nudged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def is_own(custom_data) -> bool:
    return isinstance(custom_data, str) and custom_data.startswith(TAG + "|")


def build_markers(plan: Plan, events_by_request: dict[int, list[dict]], palette: dict[str, str]) -> list[MarkerSpec]:
    """One marker per event per placement that shows it; the same label on the same frame (a video item
    and its linked audio) becomes one marker, the more confident."""
    chosen: dict[tuple[int, str], MarkerSpec] = {}
    for placement in plan.placements:
        for event in events_by_request.get(placement.request, []):
            spec = _marker(placement, event, plan.rate, palette)
            if spec is None:
                continue
            key = (spec.frame, spec.name)
            if key not in chosen or spec.confidence > chosen[key].confidence:
                chosen[key] = spec
    return sorted(chosen.values(), key=lambda m: (m.frame, m.name))


def _marker(p: Placement, event: dict, rate: Fraction, palette: dict[str, str]) -> MarkerSpec | None:
    start, end = float(event["start_seconds"]), float(event["end_seconds"])
    point = end <= start
    if point:
        if not p.source_start <= start < p.source_end:
            return None
    elif end <= p.source_start or start >= p.source_end:
        return None
    start, end = max(start, p.source_start), min(end, p.source_end)
    first = p.record_start + _frames(start - p.source_start, rate)
    last = p.record_start + _frames(end - p.source_start, rate)
    first = min(max(first, p.record_start), p.record_end - 1)
    duration = max(1, min(last, p.record_end) - first)
    label = event["label"]
    return MarkerSpec(
        frame=first,
        color=color_for(label, palette),
        name=label,
        note=note_for(event, p),
        duration=duration,
        custom_data=f"{TAG}|{event.get('id', '')}|{first}",
        confidence=float(event.get("confidence") or 0.0),
    )


def _frames(seconds: float, rate: Fraction) -> int:
    """Nearest frame; seconds come from the analysis in float, frames are exact rationals."""
    return round(Fraction(seconds).limit_denominator(10**9) * rate)


def note_for(event: dict, placement: Placement) -> str:
    return event_note(event, placement.path.replace("\\", "/").rsplit("/", 1)[-1])


def event_note(event: dict, source: str) -> str:
    """'confidence 0.93 · audio 0.88 / video 0.71 · attention audio 0.62 / video 0.38 · model · source'."""
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


def _value(x) -> str:
    return "n/a" if x is None else f"{float(x):.2f}"


def remove_own(timeline, ranges: list[tuple[int, int]]) -> int:
    """Delete avevents' markers on frames inside ``ranges`` ([lo, hi) each); the user's stay."""
    removed = 0
    for frame, info in sorted((timeline.GetMarkers() or {}).items()):
        custom = (info or {}).get("customData", "")
        inside = any(lo <= int(frame) < hi for lo, hi in ranges)
        if inside and is_own(custom) and timeline.DeleteMarkerByCustomData(custom):
            removed += 1
    return removed


def apply_markers(timeline, markers: list[MarkerSpec], ranges: list[tuple[int, int]], where=None) -> ApplyReport:
    """Replace avevents' markers inside ``ranges`` (the analysed pieces of the timeline) by ``markers``;
    ``where(frame)`` names a position in the report (default: the frame number)."""
    where = where or (lambda frame: f"frame {frame}")
    report = ApplyReport(removed=remove_own(timeline, ranges))
    occupied = {int(f): (info or {}).get("name", "") for f, info in (timeline.GetMarkers() or {}).items()}
    for m in markers:
        placed = False
        for shift in range(0, min(m.duration - 1, MAX_NUDGE_FRAMES) + 1):
            frame = m.frame + shift
            if frame in occupied:
                continue
            custom = f"{TAG}|{m.custom_data.split('|')[1]}|{frame}"
            if timeline.AddMarker(frame, m.color, m.name, m.note, m.duration - shift, custom):
                occupied[frame] = m.name
                report.added += 1
                if shift:
                    report.nudged.append(
                        f"{m.name} at {where(m.frame)}: moved {shift} frame(s) later "
                        f"(that frame holds the marker {occupied.get(m.frame, '')!r})"
                    )
                placed = True
                break
            occupied.setdefault(frame, "")  # refused for another reason: try the next frame
        if not placed:
            holder = occupied.get(m.frame, "")
            why = f"the frame holds the marker {holder!r}" if holder else "Resolve refused the marker"
            report.skipped.append(f"{m.name} at {where(m.frame)}: {why} and the event has no free frame")
    return report
