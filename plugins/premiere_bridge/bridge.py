"""Add event markers to an exported timeline: the library call behind ``avevents otio``.

For every clip with a media file: find the file, turn the clip's source range into file seconds,
analyse exactly those seconds (clips that share media share a request), and add one marker per event,
on the clip (in its media time) or on its sequence / timeline (in timeline time). The output is the
user's file plus markers: EDL and FCP7 XML are edited in their own bytes (the adapters would drop links,
notes and fields they do not model); a re-run replaces only the bridge's markers of the clips it
analysed again. Everything that can fail before the write (reading, the output's writer, the folder) is
checked before the analysis; the write is atomic and keeps an existing file's permissions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from avevents.core.errors import InvalidRequest, ModelUnavailable, UnknownLabel, UnknownPack
from avevents.core.output_files import check_writable
from avevents.core.results import DetectOptions
from avevents.plugins.markers.palette import DEFAULT_PALETTE
from avevents.plugins.resolve.scope import merge_requests

from .document import MediaPiece, Placed, Skip, TimelineDocument
from .formats import FORMATS, format_of_output, guess_format, open_document, write_bytes
from .media import file_name, locate_any, path_from_reference

log = logging.getLogger(__name__)
SCOPES = ("clips", "timeline")


@dataclass
class BridgeOptions:
    scope: str = "clips"
    labels: tuple[str, ...] = ()
    pack: str = ""
    sensitivity: float | None = None
    search_paths: list[Path] = field(default_factory=list)
    rate: str | float | None = None  # an EDL's frame rate: 23.976, 29.97, 24000/1001...
    project: str = ""  # an FCPXML library's project to mark (default: all)


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
            f"replaced; {self.requests} media range(s) analysed"
            + (f"; wrote {self.output}" if self.output else "; nothing written (no clip could be analysed)")
        ]
        out += [f"{c.status}: {c.track} {c.name!r}: {c.detail}" for c in self.clips if c.status != "marked"]
        out += [f"note: {w}" for w in self.warnings]
        return out


# Errors about the options, not one clip's media: said once for the whole run, and nothing is written.
OPTION_ERRORS = {cls.__name__ for cls in (InvalidRequest, UnknownLabel, UnknownPack, ModelUnavailable)}


def media_pieces(document: TimelineDocument, options: BridgeOptions, report: BridgeReport) -> list[MediaPiece]:
    """The pieces whose media was found and can be used; every other clip reported with its reason."""
    pieces = []
    for track, name, found in document.pieces():
        if isinstance(found, Skip):
            report.clips.append(ClipReport(track, name, "skipped", found.reason))
            continue
        located = locate_any(found.candidates, options.search_paths)
        if located is None:
            wanted = found.candidates[0]
            wanted = path_from_reference(wanted) if wanted.lower().startswith("file:") else wanted
            hint = " (add --search-path FOLDER where the media now is)"
            report.clips.append(ClipReport(track, name, "failed", f"media not found: {wanted}{hint}"))
            continue
        found.path = str(located)
        refused = document.located(found)
        if refused is not None:
            report.clips.append(ClipReport(track, name, "skipped", refused.reason))
            continue
        pieces.append(found)
    return pieces


def annotate(document: TimelineDocument, batch, options: BridgeOptions, palette=None, on_progress=None) -> BridgeReport:
    """Analyse the document's clips and place their markers in it (see the module docstring)."""
    if options.scope not in SCOPES:
        raise InvalidRequest(f"scope must be one of {', '.join(SCOPES)}")
    DetectOptions(labels=tuple(options.labels), pack=options.pack, sensitivity=options.sensitivity).validate()
    palette = palette or DEFAULT_PALETTE
    report = BridgeReport()
    pieces = media_pieces(document, options, report)
    requests = merge_requests(pieces)
    outcomes = (
        batch.detect(
            [{"path": r.path, "start": r.start, "end": r.end} for r in requests],
            {"labels": list(options.labels), "pack": options.pack, "sensitivity": options.sensitivity},
            on_progress,
        )
        if requests
        else {}
    )
    errors = [o["error"] for o in outcomes.values() if "error" in o]
    if errors and len(errors) == len(outcomes) and all(e.get("kind") in OPTION_ERRORS for e in errors):
        raise InvalidRequest(errors[0].get("message", "the analysis refused the request"))  # nothing written
    done = []
    for piece in pieces:
        outcome = outcomes.get(piece.request, {"error": {"message": "no answer"}})
        if "error" in outcome:
            report.clips.append(ClipReport(piece.track, piece.name, "failed", outcome["error"].get("message", "")))
        else:
            done.append((piece, outcome))
    report.requests = len({p.request for p, _o in done})
    removed, added = document.place([Placed(p, o["events"]) for p, o in done], options.scope, palette)
    report.removed = removed
    for piece, outcome in done:
        report.added += added.get(id(piece), 0)
        report.warnings += [f"{file_name(piece.path)}: {w}" for w in outcome.get("warnings", [])]
        report.clips.append(ClipReport(piece.track, piece.name, "marked", markers=added.get(id(piece), 0)))
    return report


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
    if fmt and fmt not in FORMATS:
        raise InvalidRequest(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    for folder in options.search_paths:
        if not Path(folder).is_dir():
            raise InvalidRequest(f"--search-path {folder}: no such folder")
    in_format = guess_format(source)
    out_format = FORMATS[fmt] if fmt else (format_of_output(output, in_format) if output else None) or in_format
    output = Path(output) if output else source.with_name(f"{source.stem}.avevents{out_format.suffixes[0]}")
    document = open_document(source, in_format, out_format, options.rate, options.project)
    check_writable(output)
    own_batch = batch is None
    batch = batch or open_batch("auto")
    try:
        report = annotate(document, batch, options, palette, on_progress)
    finally:
        if own_batch:
            batch.close()
    if any(c.status == "marked" for c in report.clips) or report.removed:  # else nothing to write
        write_bytes(output, document.serialize())
        report.output = output
    return report
