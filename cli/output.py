"""Results as a table for people, and as JSON, CSV, OpenTimelineIO and editors' marker files for tools."""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from avevents.core.errors import InvalidRequest
from avevents.core.output_files import write_file
from avevents.core.results import DetectResult, Event
from avevents.plugins.marker_files import KINDS as MARKER_KINDS
from avevents.plugins.markers.palette import DEFAULT_PALETTE, OTIO_COLORS, color_for

RESOLVE_TIMELINE_START = "01:00:00:00"  # Resolve's default timeline start: where its marker EDL counts from
CSV_FIELDS = [
    "file",
    "label",
    "start_seconds",
    "end_seconds",
    "duration_seconds",
    "confidence",
    "audio_confidence",
    "video_confidence",
    "audio_weight",
    "video_weight",
    "carried_by",
    "detector",
    "model",
    "id",
    # Whole frames of the media's rate from its first frame, and timecode from its start timecode.
    "frame_rate",
    "start_frame",
    "end_frame",
    "start_timecode",
    "end_timecode",
]


@dataclass
class MarkerSettings:
    """How events become markers in every output: one palette, the rate and timecode they count in."""

    palette: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PALETTE))
    rate: str | None = None  # default: the media's
    start_tc: str | None = None  # default: the media's own start timecode (Resolve's EDL: 01:00:00:00)
    drop_frame: bool | None = None  # default: drop-frame at 29.97 / 59.94

    def marked(self, result: DetectResult, kind: str = ""):
        """``result`` as markers on whole frames (``plugins.marker_files.timing``)."""
        from avevents.plugins.marker_files.timing import marked_media
        from avevents.plugins.markers.media_timecode import media_timecode

        timeline_start = RESOLVE_TIMELINE_START if kind == "resolve-edl" else None
        origin, media_drop = media_timecode(result.media.path)
        return marked_media(result, self.palette, self.rate, self.start_tc, self.drop_frame, origin, media_drop,
                            timeline_start)  # fmt: skip


def clock(seconds: float) -> str:
    """H:MM:SS.mmm"""
    millis = round(seconds * 1000)
    h, rest = divmod(millis, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h}:{m:02d}:{s:02d}.{ms:03d}"


def _rate_text(rate: Fraction | None) -> str:
    if not rate:
        return ""
    return f"{float(rate):.3f}".rstrip("0").rstrip(".") + (
        f" ({rate.numerator}/{rate.denominator})" if rate.denominator != 1 else ""
    )


def media_summary(result: DetectResult) -> str:
    m = result.media
    parts = [f"{m.duration_seconds:.2f} s"]
    if m.has_video:
        parts.append(
            f"{m.width}x{m.height} {m.video_codec} @ {_rate_text(m.frame_rate)} fps"
            + (" (variable)" if m.variable_frame_rate else "")
        )
    if m.has_audio:
        parts.append(f"{m.audio_codec} {m.sample_rate} Hz {m.audio_channels} ch")
    return ", ".join(parts)


def _conf(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(result: DetectResult) -> str:
    rows = [("LABEL", "START", "END", "LENGTH", "CONF", "AUDIO", "VIDEO", "DETECTOR")]
    for e in result.events:
        rows.append(
            (
                e.label,
                clock(e.start_seconds),
                clock(e.end_seconds),
                f"{e.duration_seconds:.2f}s",
                _conf(e.confidence),
                _conf(e.audio_confidence),
                _conf(e.video_confidence),
                e.detector,
            )
        )
    lines = _columns(rows)
    if len(rows) == 1:
        lines.append("(no events)")
    return "\n".join(lines)


def salient_table(result: DetectResult) -> str:
    """The labels most present (``--top``), most salient first: peak score, where, and peak / threshold."""
    rows = [("MOST PRESENT", "PEAK", "AT", "THRESHOLD", "PEAK/THRESHOLD")]
    for x in result.salient:
        rows.append((x.label, f"{x.peak:.2f}", clock(x.peak_seconds), f"{x.threshold:.2f}", f"{x.salience:.2f}"))
    return "\n".join(_columns(rows))


def _columns(rows: list[tuple[str, ...]]) -> list[str]:
    """The rows as lines of left-aligned columns two spaces apart."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def event_dict(e: Event) -> dict:
    return e.to_dict()


def result_dict(result: DetectResult) -> dict:
    m = result.media

    def rational(r: Fraction | None):
        return {"num": r.numerator, "den": r.denominator} if r else None

    media = dict(m.__dict__)
    media["frame_rate"], media["average_frame_rate"] = rational(m.frame_rate), rational(m.average_frame_rate)
    return {
        "media": media,
        "pack": result.pack,
        "labels": result.labels,
        "analysed_range": list(result.analysed_range),
        "grid": {
            "video_analysis_fps": result.video_analysis_fps,
            "tracks": [g.__dict__ for g in result.grid],
        },
        "models": [{"name": n, "version": v} for n, v in result.models],
        "warnings": result.warnings,
        "elapsed_seconds": round(result.elapsed_seconds, 3),
        "events": [event_dict(e) for e in result.events],
        "salient": [dict(x.__dict__) for x in result.salient],
    }


def to_json(results: list[DetectResult]) -> str:
    data = [result_dict(r) for r in results]
    return json.dumps(data[0] if len(data) == 1 else data, indent=2)


def to_csv(results: list[DetectResult], settings: MarkerSettings | None = None) -> str:
    settings = settings or MarkerSettings()
    buf = io.StringIO()
    writer = csv.DictWriter(buf, CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in results:
        marked = settings.marked(r)
        rate = marked.rate
        for e, marker in zip(r.events, marked.markers, strict=True):
            row = event_dict(e)
            row.update(file=r.media.path, duration_seconds=round(e.duration_seconds, 6))
            end = marker.frame + marker.duration
            row.update(
                frame_rate=f"{rate.numerator}/{rate.denominator}" if rate.denominator != 1 else str(rate.numerator),
                start_frame=marker.frame,
                end_frame=end,
                start_timecode=marked.timecode(marker.frame),
                end_timecode=marked.timecode(end),
            )
            writer.writerow({k: "" if row[k] is None else row[k] for k in CSV_FIELDS})
    return buf.getvalue()


def to_otio(results: list[DetectResult], palette: dict[str, str] | None = None):
    """A timeline with one clip per analysed file, each carrying a marker per event in its media time,
    coloured from the one palette every editor's markers use."""
    import opentimelineio as otio

    palette = palette or DEFAULT_PALETTE
    timeline = otio.schema.Timeline(name="avevents")
    track = otio.schema.Track(name="avevents", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for r in results:
        m = r.media
        rate = float(m.frame_rate) if m.frame_rate else 1000.0
        available = otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime.from_seconds(m.duration_seconds, rate)
        )
        reference = otio.schema.ExternalReference(
            target_url=Path(m.path).absolute().as_uri(), available_range=available
        )
        start, end = r.analysed_range
        clip = otio.schema.Clip(
            name=Path(m.path).name,
            media_reference=reference,
            source_range=otio.opentime.range_from_start_end_time(
                otio.opentime.RationalTime.from_seconds(start, rate),
                otio.opentime.RationalTime.from_seconds(end, rate),
            ),
        )
        for e in r.events:
            marked = otio.opentime.TimeRange(
                otio.opentime.RationalTime.from_seconds(e.start_seconds, rate),
                otio.opentime.RationalTime.from_seconds(max(e.duration_seconds, 1 / rate), rate),
            )
            marker = otio.schema.Marker(
                name=e.label,
                marked_range=marked,
                color=OTIO_COLORS[color_for(e.label, palette)],
                metadata={"avevents": event_dict(e)},
            )
            marker.comment = f"{e.label} {e.confidence:.2f} ({e.model})"
            clip.markers.append(marker)
        track.append(clip)
    return timeline


OUTPUT_KINDS = ("json", "csv", "otio", *MARKER_KINDS)


def output_text(kind: str, results: list[DetectResult], settings: MarkerSettings | None = None) -> str:
    """The results as ``kind``: json, csv, otio (OpenTimelineIO's JSON) or one of the marker files
    (``plugins.marker_files.KINDS``, one media file each)."""
    settings = settings or MarkerSettings()
    if kind == "otio":
        import opentimelineio as otio

        return otio.adapters.write_to_string(to_otio(results, settings.palette), "otio_json")
    if kind in MARKER_KINDS:
        from avevents.plugins.marker_files import render

        if len(results) != 1:
            raise InvalidRequest(f"a {kind} file holds one media file's markers: use --out DIR --format {kind}")
        return render(kind, settings.marked(results[0], kind))
    return to_json(results) if kind == "json" else to_csv(results, settings)


def write_output(kind: str, target: str, results: list[DetectResult], settings: MarkerSettings | None = None) -> None:
    """Write ``kind`` (see :func:`output_text`) to ``target`` ('-' is standard output), with :func:`write_file`."""
    text = output_text(kind, results, settings)
    if target == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    write_file(target, lambda fh: fh.write(text))


def batch_progress(index: int, count: int, stage: str, fraction: float, message: str) -> None:
    """One self-overwriting line on a terminal for multi-file runs (the editor bridges); silent otherwise."""
    if sys.stderr.isatty():
        print(f"\rmedia {index + 1}/{count} {stage} {fraction * 100:3.0f} %  ", end="", file=sys.stderr, flush=True)
