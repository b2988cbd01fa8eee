"""Add event markers to an exported timeline: the library call behind ``avevents otio``.

For every clip with an external media reference: find the file, turn the clip's source range into file
seconds, analyse exactly those seconds (clips that share media share a request), and attach one marker
per event, on the clip (in its media time) or on the timeline's top stack (in timeline time). Bridge
markers from an earlier run are replaced; the user's stay; nothing else in the timeline changes. The
output is written to a temp file and renamed, so a failure never leaves a half-written timeline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import opentimelineio as otio

from avevents.core.errors import InvalidRequest
from avevents.plugins.markers.palette import DEFAULT_PALETTE
from avevents.plugins.markers.spec import MarkerSpec, event_span, marker_spec
from avevents.plugins.resolve.scope import merge_requests

from .formats import FORMATS, Format, guess_format, read_timeline, write_timeline
from .markers import make_marker, remove_own, spec_range
from .media import file_name, locate, path_from_reference, timecode_start_seconds

log = logging.getLogger(__name__)
SCOPES = ("clips", "timeline")


@dataclass
class BridgeOptions:
    scope: str = "clips"
    labels: tuple[str, ...] = ()
    pack: str = ""
    sensitivity: float | None = None
    search_paths: list[Path] = field(default_factory=list)
    rate: float | None = None  # an EDL's frame rate


@dataclass
class ClipReport:
    track: str
    name: str
    status: str  # marked | skipped | failed
    detail: str = ""
    markers: int = 0


@dataclass
class BridgeReport:
    output: Path | None = None
    requests: int = 0
    added: int = 0
    removed: int = 0
    clips: list[ClipReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        marked = sum(1 for c in self.clips if c.status == "marked")
        out = [
            f"{self.added} marker(s) added on {marked} clip(s), {self.removed} earlier avevents marker(s) "
            f"replaced; {self.requests} media range(s) analysed" + (f"; wrote {self.output}" if self.output else "")
        ]
        out += [f"{c.status}: {c.track} {c.name!r}: {c.detail}" for c in self.clips if c.status != "marked"]
        out += [f"note: {w}" for w in self.warnings]
        return out


@dataclass
class MediaPiece:
    clip: object
    track: str
    path: str
    source_start: float  # file seconds
    source_end: float
    origin: float  # media time (seconds) of the file's first frame
    request: int = -1


def _track_name(clip) -> str:
    track = clip.parent()
    while track is not None and not isinstance(track, otio.schema.Track):
        track = track.parent()
    return track.name or track.kind if track is not None else ""


def media_pieces(timeline, options: BridgeOptions, report: BridgeReport) -> list[MediaPiece]:
    pieces = []
    for clip in timeline.find_clips():
        track = _track_name(clip)
        ref = clip.media_reference
        if not isinstance(ref, otio.schema.ExternalReference) or not ref.target_url:
            kind = type(ref).__name__ if ref is not None else "no media"
            report.clips.append(ClipReport(track, clip.name, "skipped", f"no media file ({kind})"))
            continue
        wanted = path_from_reference(ref.target_url)
        found = locate(wanted, options.search_paths)
        if found is None:
            hint = " (add --search-path FOLDER where the media now is)"
            report.clips.append(ClipReport(track, clip.name, "failed", f"media not found: {wanted}{hint}"))
            continue
        used = clip.trimmed_range()
        if ref.available_range is not None:
            origin = ref.available_range.start_time.to_seconds()
        else:
            origin = timecode_start_seconds(found)  # EDL: the file's own timecode
        start = max(0.0, used.start_time.to_seconds() - origin)
        pieces.append(MediaPiece(clip, track, str(found), start, start + used.duration.to_seconds(), origin))
    return pieces


def annotate(timeline, fmt: Format, batch, options: BridgeOptions, palette=None, on_progress=None) -> BridgeReport:
    """Add markers to ``timeline`` in place (see the module docstring)."""
    if options.scope not in SCOPES:
        raise InvalidRequest(f"scope must be one of {', '.join(SCOPES)}")
    if options.scope == "timeline" and fmt.name == "edl":
        raise InvalidRequest("an EDL keeps markers only on clips (LOC lines): use --scope clips")
    palette = palette or DEFAULT_PALETTE
    report = BridgeReport()
    pieces = media_pieces(timeline, options, report)
    requests = merge_requests(pieces)
    report.requests = len(requests)
    outcomes = (
        batch.detect(
            [{"path": r.path, "start": r.start, "end": r.end} for r in requests],
            {"labels": list(options.labels), "pack": options.pack, "sensitivity": options.sensitivity},
            on_progress,
        )
        if requests
        else {}
    )
    stack = timeline.tracks
    done = []
    for piece in pieces:
        outcome = outcomes.get(piece.request, {"error": {"message": "no answer"}})
        if "error" in outcome:
            report.clips.append(ClipReport(piece.track, piece.clip.name, "failed", outcome["error"].get("message", "")))
        else:
            done.append((piece, outcome))
    # Earlier bridge markers go where their clip was analysed again (a failed clip keeps its markers).
    spans = [piece.clip.transformed_time_range(piece.clip.trimmed_range(), stack) for piece, _ in done]
    report.removed += remove_own(stack, keep=lambda m: not _starts_in(m, spans))
    seen: set[tuple] = set()
    for piece, outcome in done:
        report.removed += remove_own(piece.clip)
        added = 0
        for event in outcome["events"]:
            spec = _media_marker(event, piece, palette)
            if spec is None:
                continue
            target, marked = piece.clip, spec_range(spec)
            if options.scope == "timeline":
                target, marked = stack, piece.clip.transformed_time_range(marked, stack)
                key = (event["label"], marked.start_time.to_seconds(), marked.duration.to_seconds())
                if key in seen:  # the same event from a video clip and its linked audio
                    continue
                seen.add(key)
            target.markers.append(make_marker(spec, fmt, marked))
            added += 1
        report.added += added
        report.warnings += [f"{file_name(piece.path)}: {w}" for w in outcome.get("warnings", [])]
        report.clips.append(ClipReport(piece.track, piece.clip.name, "marked", markers=added))
    return report


def _starts_in(marker, spans) -> bool:
    t = marker.marked_range.start_time
    return any(span.start_time <= t < span.end_time_exclusive() for span in spans)


def _media_marker(event: dict, piece: MediaPiece, palette: dict[str, str]) -> MarkerSpec | None:
    """The event clipped to the clip, in the clip's media time, on whole frames of the clip's rate (None
    when it is not in the clip)."""
    span = event_span(event, piece.source_start, piece.source_end)
    if span is None:
        return None
    rate = piece.clip.trimmed_range().start_time.rate
    first = round((piece.origin + span[0]) * rate)
    last = round((piece.origin + span[1]) * rate)
    return marker_spec(event, first, last - first, rate, palette, file_name(piece.path))


def add_event_markers(
    source: Path,
    output: Path | None = None,
    fmt: str | None = None,
    options: BridgeOptions | None = None,
    batch=None,
    palette=None,
    on_progress=None,
) -> BridgeReport:
    """Read ``source``, add event markers, write ``output`` (default: ``<name>.avevents<suffix>`` beside
    the source, never the source itself unless asked) in the same format unless ``fmt`` says otherwise."""
    from avevents.daemon.batch import open_batch

    source = Path(source)
    options = options or BridgeOptions()
    in_format = guess_format(source)
    out_format = FORMATS[fmt] if fmt else in_format
    if fmt and fmt not in FORMATS:
        raise InvalidRequest(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    output = Path(output) if output else source.with_name(f"{source.stem}.avevents{out_format.suffixes[0]}")
    timeline = read_timeline(source, in_format, options.rate)
    own_batch = batch is None
    batch = batch or open_batch("auto")
    try:
        report = annotate(timeline, out_format, batch, options, palette, on_progress)
    finally:
        if own_batch:
            batch.close()
    write_timeline(timeline, output, out_format)
    report.output = output
    return report
