"""Events -> Resolve timeline markers, and writing them without touching the user's own (standard library
only).

The marker itself (name, note, colour, the customData tag ``avevents|<event id>|<frame>``) is the shared
``plugins/markers`` description; this module places it on the timeline and turns it into AddMarker's
arguments. A re-run deletes exactly avevents' markers in its range and adds the new ones; markers without
the tag are the user's and are never changed. Resolve refuses a marker on a frame that already has one, so
an event whose first frame is taken moves later inside its own duration (reported as nudged) or, with no
free frame, is reported as skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ..markers.palette import RESOLVE_COLORS
from ..markers.rates import seconds_to_frames
from ..markers.spec import MarkerSpec, event_span, marker_spec, owns_custom_data
from ..markers.text import source_name
from .scope import Placement, Plan

MAX_NUDGE_FRAMES = 12


@dataclass
class ApplyReport:
    added: int = 0
    removed: int = 0
    nudged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


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
    span = event_span(event, p.source_start, p.source_end)
    if span is None:
        return None
    start, end = span
    first = p.record_start + seconds_to_frames(start - p.source_start, rate)
    last = p.record_start + seconds_to_frames(end - p.source_start, rate)
    first = min(max(first, p.record_start), p.record_end - 1)
    duration = max(1, min(last, p.record_end) - first)
    spec = marker_spec(event, first, duration, rate, palette, source_name(p.path))
    if p.note:  # the mapping was uncertain for this item: the marker says so
        spec.note = f"{spec.note} · {p.note}"
    return spec


def add_marker_args(m: MarkerSpec, shift: int = 0) -> tuple[int, str, str, str, int, str]:
    """``timeline.AddMarker``'s arguments for ``m`` placed ``shift`` frames later than its first frame:
    frame, colour, name, note, duration, customData."""
    frame = m.frame + shift
    return frame, RESOLVE_COLORS[m.color], m.name, m.note, m.duration - shift, m.custom_data(frame)


def remove_own(timeline, ranges: list[tuple[int, int]]) -> int:
    """Delete avevents' markers on frames inside ``ranges`` ([lo, hi) each); the user's stay."""
    removed = 0
    for frame, info in sorted((timeline.GetMarkers() or {}).items()):
        custom = (info or {}).get("customData", "")
        inside = any(lo <= int(frame) < hi for lo, hi in ranges)
        if inside and owns_custom_data(custom) and timeline.DeleteMarkerByCustomData(custom):
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
            if timeline.AddMarker(*add_marker_args(m, shift)):
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
