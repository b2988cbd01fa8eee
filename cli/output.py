"""Results as a table for people, and as JSON, CSV and OpenTimelineIO for tools."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import secrets
import stat
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import TextIO

from avevents.core.errors import OutputUnwritable
from avevents.core.results import DetectResult, Event

# Marker colours by label (OTIO's colour names); learned labels fall back to the last entry.
LABEL_COLORS = {"Speech": "GREEN", "Silence": "BLUE", "Transient": "RED", "Scene cut": "YELLOW"}
DEFAULT_COLOR = "PURPLE"
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
    "detector",
    "model",
    "id",
]


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
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    if len(rows) == 1:
        lines.append("(no events)")
    return "\n".join(lines)


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
    }


def to_json(results: list[DetectResult]) -> str:
    data = [result_dict(r) for r in results]
    return json.dumps(data[0] if len(data) == 1 else data, indent=2)


def to_csv(results: list[DetectResult]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in results:
        for e in r.events:
            row = event_dict(e)
            row.update(file=r.media.path, duration_seconds=round(e.duration_seconds, 6))
            writer.writerow({k: "" if row[k] is None else row[k] for k in CSV_FIELDS})
    return buf.getvalue()


def to_otio(results: list[DetectResult]):
    """A timeline with one clip per analysed file, each carrying a marker per event in its media time."""
    import opentimelineio as otio

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
                color=LABEL_COLORS.get(e.label, DEFAULT_COLOR),
                metadata={"avevents": event_dict(e)},
            )
            marker.comment = f"{e.label} {e.confidence:.2f} ({e.model})"
            clip.markers.append(marker)
        track.append(clip)
    return timeline


def _written_in_place(mode: int) -> bool:
    """Whether a file of this type is written to directly: a device or a FIFO is opened and written,
    never replaced by a rename (that turned /dev/null into a regular file for the whole machine)."""
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _resolve(target: str | Path) -> tuple[str, os.stat_result | None]:
    """(the path really written, its stat or None when nothing is there yet) for an output ``target``,
    after the checks that need no write: what is there is a regular file, a device or a FIFO that this
    user may write. A symlink is followed: its target is what gets written.

    :raises OutputUnwritable: one line naming ``target``.
    """
    try:
        real = os.path.realpath(target)
        st = os.stat(real)
    except FileNotFoundError:
        return real, None
    except OSError as exc:  # a symlink loop, a path component that is a file...
        raise OutputUnwritable(f"cannot write {target}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise OutputUnwritable(f"cannot write {target}: it is a folder, not a file")
    if not (stat.S_ISREG(st.st_mode) or _written_in_place(st.st_mode)):
        raise OutputUnwritable(f"cannot write {target}: not a regular file, a character device or a FIFO")
    if not os.access(real, os.W_OK):
        # A rename would replace a read-only file all the same; refuse it as a plain write would.
        raise OutputUnwritable(f"cannot write {target}: permission denied")
    return real, st


def check_writable(target: str | Path) -> None:
    """Raise OutputUnwritable (one line, naming ``target``) unless :func:`write_file` can write
    ``target``: called before any analysis, so that nothing is analysed only to be lost.

    :param target: the output path as the user gave it ('-' is standard output: always writable).
    """
    if str(target) == "-":
        return
    real, st = _resolve(target)
    if st is not None and _written_in_place(st.st_mode):
        return  # opening a FIFO here would block until a reader comes
    folder = os.path.dirname(real)
    if not os.path.isdir(folder):
        raise OutputUnwritable(f"cannot write {target}: no folder {folder}")
    try:
        # Really create the temp file: os.access misses read-only mounts, ACLs and root's capabilities.
        fd, probe = _create_temp(real)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputUnwritable(f"cannot write {target}: folder {folder}: {exc.strerror or exc}") from None


def _create_temp(real: str) -> tuple[int, str]:
    """A new file beside ``real`` (the same folder, so that the final rename is atomic), created with
    mode 0666 for the kernel to apply the umask (mkstemp would make it 0600): (descriptor, path)."""
    folder, name = os.path.split(real)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def write_file(target: str | Path, write: Callable[[TextIO], object]) -> None:
    """Write a text file with ``write(file)``: the one way the CLI writes its output files.

    A regular file (or a new one) is written atomically: a temp file in the same folder, then
    ``os.replace``; the temp file is removed on any failure, the writer's own exceptions included. An
    existing file keeps its permission bits; a new one gets 0666 less the umask. A symlink is followed:
    its target is replaced, the link stays a link. A character device or a FIFO is written to directly.

    :param target: the path to write.
    :param write: called with the open text file; its exceptions propagate after the clean-up.
    :raises OutputUnwritable: the file cannot be written (any OSError on the way), in one line.
    """
    real, st = _resolve(target)
    try:
        if st is not None and _written_in_place(st.st_mode):
            # No O_CREAT: if the device or FIFO went away meanwhile, fail rather than make a regular file.
            with open(os.open(real, os.O_WRONLY), "w", encoding="utf-8") as fh:
                write(fh)
            return
        _write_atomically(real, st, write)
    except OSError as exc:
        raise OutputUnwritable(f"cannot write {target}: {exc.strerror or exc}") from None


def _write_atomically(real: str, st: os.stat_result | None, write: Callable[[TextIO], object]) -> None:
    """Write ``real`` (a regular file, or nothing yet; ``st`` its stat) through a temp file and a rename."""
    fd, tmp = _create_temp(real)
    try:
        with open(fd, "w", encoding="utf-8") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())  # the rename must not reach the disk before the data does
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            if hasattr(os, "chown") and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
                with contextlib.suppress(OSError):  # only root may give the file back to its owner
                    os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def output_text(kind: str, results: list[DetectResult]) -> str:
    """The results as ``kind``: json, csv or otio (OpenTimelineIO's JSON)."""
    if kind == "otio":
        import opentimelineio as otio

        return otio.adapters.write_to_string(to_otio(results), "otio_json")
    return to_json(results) if kind == "json" else to_csv(results)


def write_output(kind: str, target: str, results: list[DetectResult]) -> None:
    """Write ``kind`` (json|csv|otio) to ``target`` ('-' is standard output), with :func:`write_file`."""
    text = output_text(kind, results)
    if target == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    write_file(target, lambda fh: fh.write(text))


def batch_progress(index: int, count: int, stage: str, fraction: float, message: str) -> None:
    """One self-overwriting line on a terminal for multi-file runs (the editor bridges); silent otherwise."""
    if sys.stderr.isatty():
        print(f"\rmedia {index + 1}/{count} {stage} {fraction * 100:3.0f} %  ", end="", file=sys.stderr, flush=True)
