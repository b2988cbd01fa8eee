""" "Detect events" and "Clear avevents markers" on Resolve's current timeline (standard library only).

The same functions run inside Resolve (``entry.py``, detection through the JSON-lines worker) and from
avevents' interpreter with external scripting (``external.py``, detection through the gRPC client).
Nothing on the timeline changes until every analysis has come back: a cancelled or failed run leaves
the user's timeline exactly as it was, and a file that fails keeps its earlier avevents markers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..markers.rates import frames_to_timecode
from ..markers.text import source_name
from .link import LinkError
from .markers import apply_markers, build_markers, remove_own
from .scope import Plan, ScopeError, ScopeOptions, plan_timeline


class ResolveUnavailable(ScopeError):
    """No Resolve to talk to, no project, or scripting not allowed by this edition."""


@dataclass
class DetectSettings:
    scope: ScopeOptions = field(default_factory=ScopeOptions)
    pack: str = ""
    labels: list[str] = field(default_factory=list)
    sensitivity: float | None = None


@dataclass
class Summary:
    timeline: str = ""
    scope: str = ""
    media: int = 0
    added: int = 0
    removed: int = 0
    nudged: list[str] = field(default_factory=list)
    skipped_markers: list[str] = field(default_factory=list)
    skipped_items: list[str] = field(default_factory=list)
    failed_media: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cancelled: bool = False

    def lines(self) -> list[str]:
        """What the window (or the terminal) shows after a run."""
        if self.cancelled:
            return [f"Cancelled: the timeline {self.timeline!r} was not changed."]
        out = [
            f"{self.added} marker(s) on {self.timeline!r} ({self.scope}); {self.removed} earlier avevents "
            f"marker(s) replaced; {self.media} media range(s) analysed."
        ]
        out += [f"Not analysed: {x}" for x in self.skipped_items]
        out += [f"Failed: {x}" for x in self.failed_media]
        out += [f"Moved: {x}" for x in self.nudged]
        out += [f"No marker: {x}" for x in self.skipped_markers]
        out += [f"Note: {x}" for x in self.warnings]
        return out


def current_timeline(resolve):
    """The open project's current timeline, or ResolveUnavailable saying what is missing."""
    if resolve is None:
        raise ResolveUnavailable(
            "Resolve's scripting is not available: Python menu scripts need DaVinci Resolve Studio "
            "(the free edition runs Lua scripts only), and external scripting must be switched on in "
            "Preferences > System > General"
        )
    manager = resolve.GetProjectManager()
    project = manager.GetCurrentProject() if manager else None
    if project is None:
        raise ResolveUnavailable("no project is open in Resolve")
    timeline = project.GetCurrentTimeline()
    if timeline is None:
        raise ResolveUnavailable("the project has no current timeline: open one on the Edit page")
    return timeline


def plan_for(resolve, settings: DetectSettings) -> tuple[object, Plan]:
    from .api_version import parse_version

    timeline = current_timeline(resolve)
    version = parse_version(resolve.GetVersion()) if hasattr(resolve, "GetVersion") else None
    return timeline, plan_timeline(timeline, settings.scope, version=version)


def detect_events(resolve, settings: DetectSettings, link, palette: dict[str, str], on_progress=None) -> Summary:
    """Analyse the scope's media and put the events on the timeline as markers. Raises LinkError
    (DaemonUnavailable, WorkerFailed) when detection cannot run at all; a cancel gives a summary."""
    timeline, plan = plan_for(resolve, settings)
    summary = Summary(plan.timeline, settings.scope.scope, len(plan.requests))
    summary.skipped_items = [f"{s.track} {s.name!r}: {s.reason}" for s in plan.skipped]
    if not plan.requests:
        summary.warnings.append("no clip with a media file in the scope")
        return summary
    options = {"pack": settings.pack, "labels": list(settings.labels), "sensitivity": settings.sensitivity}
    try:
        outcomes = link.detect([asdict(r) for r in plan.requests], options, on_progress)
    except LinkError as exc:
        if exc.kind == "Cancelled":
            summary.cancelled = True
            return summary
        raise
    events: dict[int, list[dict]] = {}
    for index, request in enumerate(plan.requests):
        outcome = outcomes.get(index, {"error": {"message": "no answer"}})
        if "error" in outcome:
            summary.failed_media.append(f"{request.path}: {outcome['error'].get('message', '')}")
            continue
        events[index] = outcome.get("events", [])
        summary.warnings += [f"{source_name(request.path)}: {w}" for w in outcome.get("warnings", [])]
    ranges = [(p.record_start, p.record_end) for p in plan.placements if p.request in events]
    drop_frame = _drop_frame(timeline)

    def where(frame: int) -> str:
        return frames_to_timecode(plan.start_frame + frame, plan.rate, drop_frame)

    report = apply_markers(timeline, build_markers(plan, events, palette), ranges, where)
    summary.added, summary.removed = report.added, report.removed
    summary.nudged, summary.skipped_markers = report.nudged, report.skipped
    return summary


def clear_markers(resolve, scope: ScopeOptions) -> int:
    """Remove avevents' markers in the scope (the user's stay); returns how many went."""
    from .scope import scope_range

    timeline = current_timeline(resolve)
    return remove_own(timeline, [scope_range(timeline, scope)])


def _drop_frame(timeline) -> bool:
    try:
        return str(timeline.GetSetting("timelineDropFrameTimecode")) == "1"
    except Exception:  # an API without the setting: non-drop
        return False
