"""Library batch mode: ``avevents detect --recursive FOLDER... --out RESULTS/`` writes one result file per
media file (JSON, CSV or OTIO), mirroring the folders, with a progress bar; re-running the same command
skips files whose result is already there for the same file and options (a manifest in RESULTS records
them), so an interrupted run resumes where it stopped. Failures are listed and do not stop the rest."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from avevents.core.errors import AvEventsError, InvalidRequest, OutputUnwritable
from avevents.core.output_files import check_writable, write_file
from avevents.core.results import DetectOptions
from avevents.plugins.marker_files import KINDS as MARKER_KINDS

from .output import MarkerSettings, write_output

log = logging.getLogger(__name__)
MANIFEST = ".avevents-batch.json"
MEDIA_SUFFIXES = {
    ".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mxf", ".mts", ".m2ts", ".ts", ".mpg", ".mpeg", ".wmv",
    ".flv", ".3gp", ".dv", ".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus", ".aif", ".aiff", ".wma",
}  # fmt: skip
SUFFIX = {"json": ".json", "csv": ".csv", "otio": ".otio", **{k.name: k.suffix for k in MARKER_KINDS.values()}}


def media_files(roots: list[str]) -> list[tuple[Path, Path]]:
    """(media file, its path relative to the folder it was found under), sorted, hidden files skipped."""
    found = []
    for root in map(Path, roots):
        if root.is_file():
            found.append((root, Path(root.name)))
            continue
        if not root.is_dir():
            raise InvalidRequest(f"{root}: no such file or folder")
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = Path(folder) / name
                if not name.startswith(".") and path.suffix.lower() in MEDIA_SUFFIXES:
                    found.append((path, path.relative_to(root)))
    return found


def _fingerprint(options: DetectOptions, kind: str) -> str:
    return hashlib.sha1(json.dumps([asdict(options), kind], sort_keys=True, default=str).encode()).hexdigest()[:16]


def _identity(path: Path) -> list:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


class _Bar:
    """One line on a terminal: files finished plus the progress of those in flight."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = total, enabled and sys.stderr.isatty()
        self.finished = 0
        self.running: dict[str, float] = {}
        self.lock = threading.Lock()

    def show(self, name: str, fraction: float) -> None:
        with self.lock:
            self.running[name] = fraction
            self._draw(name)

    def finish(self, name: str) -> None:
        with self.lock:
            self.running.pop(name, None)
            self.finished += 1
            self._draw(name)

    def _draw(self, name: str) -> None:
        if not self.enabled:
            return
        overall = (self.finished + sum(self.running.values())) / max(self.total, 1)
        filled = round(24 * overall)
        at = f" ({len(self.running)} at once)" if len(self.running) > 1 else ""
        line = f"\r[{'#' * filled}{'-' * (24 - filled)}] {self.finished}/{self.total}{at} {name[-40:]}"
        sys.stderr.write(line.ljust(90)[:90])
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 90 + "\r")


def _make_folder(folder: Path) -> None:
    """``mkdir -p``, or OutputUnwritable naming the folder."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputUnwritable(f"cannot make the folder {folder}: {exc.strerror or exc}") from None


def _prepare_out(out: Path, manifest_path: Path) -> None:
    """The results folder made and its manifest writable, before any analysis (OutputUnwritable)."""
    if out.exists() and not out.is_dir():
        raise OutputUnwritable(f"--out {out} is a file, not a folder")
    _make_folder(out)
    check_writable(manifest_path)


def run_batch(
    roots: list[str],
    out: Path,
    kind: str,
    options: DetectOptions,
    detect,
    quiet: bool,
    force: bool,
    parallel: int = 1,
    settings: MarkerSettings | None = None,
) -> int:
    """Analyse every media file under ``roots`` into ``out``, ``parallel`` files at once (the daemon's job
    slots: their windows share the device's batches); the exit status (1 when a file failed)."""
    files = media_files(roots)
    manifest_path = out / MANIFEST
    _prepare_out(out, manifest_path)
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    fingerprint = _fingerprint(options, kind)
    todo = []
    for path, rel in files:
        target = out / rel.with_suffix(rel.suffix + SUFFIX[kind])
        record = manifest.get(str(rel))
        if (
            not force
            and record
            and record.get("fingerprint") == fingerprint
            and record.get("media") == _identity(path)
            and record.get("status") == "done"
            and target.is_file()
        ):
            continue
        todo.append((path, rel, target))
    skipped = len(files) - len(todo)
    bar = _Bar(len(todo), not quiet)
    manifest_lock = threading.Lock()
    failed: list[str] = []

    def analyse(path: Path, rel: Path, target: Path) -> None:
        name = str(rel)
        bar.show(name, 0.0)
        try:
            result = detect(str(path), options, lambda u: bar.show(name, u.fraction))
            _make_folder(target.parent)
            write_output(kind, str(target), [result], settings)
            record = {
                "status": "done",
                "media": _identity(path),
                "fingerprint": fingerprint,
                "output": str(target.relative_to(out)),
                "events": len(result.events),
                "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
            }
        except AvEventsError as exc:
            record = {"status": "failed", "media": _identity(path), "error": str(exc)}
        except Exception as exc:  # a bug one damaged file trips: listed as its failure, the rest go on
            log.debug("analysing %s failed", path, exc_info=True)
            record = {"status": "failed", "media": _identity(path), "error": f"internal error: {exc!r}"}
        with manifest_lock:
            manifest[name] = record
            if record["status"] == "failed":
                failed.append(f"{rel}: {record['error']}")
            text = json.dumps(manifest, indent=1)
            write_file(manifest_path, lambda fh: fh.write(text))  # after every file: a rerun resumes here
        bar.finish(name)

    with ThreadPoolExecutor(max(1, parallel), thread_name_prefix="avevents-file") as pool:
        for future in [pool.submit(analyse, *item) for item in todo]:
            future.result()
    bar.done()
    if not quiet:
        print(
            f"{len(files)} media file(s): {len(todo) - len(failed)} analysed, {skipped} already done, "
            f"{len(failed)} failed; results in {out}"
        )
        for line in sorted(failed):
            print(f"failed: {line}")
    return 1 if failed else 0
