"""Analysis results kept on disk, so re-running a file with other thresholds, labels or a sub-range skips
decoding and inference: one entry per file and detector holds that detector's score tracks for every
label it can produce (the 527 AudioSet labels too), before post-processing.

Key: the file's identity (resolved path, size, mtime and a hash of three sampled 64 KiB blocks, so a file
rewritten in place within the same second is still told apart), the detector with its models' versions,
the analysed range and the decode settings, and this cache's format. Entries are single ``.npz`` files
written to a temp name and renamed (a crash never leaves a half entry); the least recently used go first
when the cache grows past its limit. ``CacheSettings`` (``core.settings``: ``AVEVENTS_CACHE_DIR`` moves it,
``AVEVENTS_CACHE_MAX_MB`` sizes it, default 2048, ``AVEVENTS_CACHE=off`` turns it off) say where and how big.

The cache never fails an analysis: several threads and processes (``--jobs``, the OTIO bridge, two
daemons) write, read and evict the same folder at once, so any file may vanish or be replaced between
a listing and the next call; temp files start with a dot and end in ``.tmp``, are never counted or read
as entries, and only stale ones are removed. Any other failure (a folder that cannot be written, a full
disk, a damaged entry) is a miss or a skipped write, logged once per folder and kind as a warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import stat as stat_mode
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from avevents.core.paths import user_dir
from avevents.core.results import GridTrack
from avevents.core.settings import CacheSettings, Settings

from .postprocess import PointCandidates, ScoreTrack

log = logging.getLogger(__name__)
FORMAT = 3  # 2: audio-visual tracks fused with the audible-soundtrack rule; 3: AudioSet families, centred slots
SAMPLE_BYTES = 1 << 16
ENTRY_SUFFIX = ".npz"
TEMP_SUFFIX = ".tmp"
# A temp file this old belongs to a writer that died; younger ones may still be renamed into entries.
STALE_TEMP_SECONDS = 600.0

_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


def _warn_once(root: Path | None, kind: str, message: str, *args) -> None:
    """Log ``message`` as a warning the first time ``kind`` fails for the cache at ``root`` in this process,
    at debug level after that: a read-only or full cache would otherwise warn on every analysis.

    :param root: the cache folder (a warning per folder: tests and users may have several).
    :param kind: what failed, e.g. "write", "read", "damaged", "evict".
    """
    with _warned_lock:
        first = (str(root), kind) not in _warned
        _warned.add((str(root), kind))
    log.log(logging.WARNING if first else logging.DEBUG, message, *args)


def default_cache_dir() -> Path:
    return user_dir("cache", "results")


def file_identity(path: str) -> str | None:
    """Path, size, mtime and a hash of the first, middle and last 64 KiB; None when ``path`` is not a
    regular file (a pipe or a device has no identity to cache by, and reading it would consume it) or
    cannot be read now. The caller then analyses without the cache.

    :param path: the media file.
    """
    try:
        p = Path(path).resolve()
        stat = p.stat()
        if not stat_mode.S_ISREG(stat.st_mode):
            return None
        digest = hashlib.sha1()
        with open(p, "rb") as fh:
            for offset in sorted(
                {0, max(0, stat.st_size // 2 - SAMPLE_BYTES // 2), max(0, stat.st_size - SAMPLE_BYTES)}
            ):
                fh.seek(offset)
                digest.update(fh.read(SAMPLE_BYTES))
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop in resolve()
        log.warning("result cache not used for %s: cannot identify it (%s)", path, exc)
        return None
    return f"{p}|{stat.st_size}|{stat.st_mtime_ns}|{digest.hexdigest()}"


@dataclass
class CachedAnalysis:
    """One detector's output for one file and range, as the pipeline needs it back."""

    outputs: list  # ScoreTrack | PointCandidates, every label the detector produces
    grid: GridTrack
    warnings: list[str] = field(default_factory=list)
    luma_thumbnails: bool = False
    picture_fps: float = 0.0


@dataclass
class _File:
    """A file seen in the cache folder: an entry or a temp file, as it was when listed."""

    path: Path
    size: int
    mtime: float


class ResultCache:
    """The result cache in ``root`` (default: the user's cache folder), at most ``max_bytes`` (default:
    the settings'). No public method raises for anything on disk: a failure is a miss, a skipped write or
    an empty listing, and a warning in the log."""

    def __init__(self, root: Path | None = None, max_bytes: int | None = None, *, environment: bool = True):
        """None: what ``Settings.from_environment()`` says; with ``environment`` False, the per-user
        folder and the default limit (``configured`` takes settings instead)."""
        if environment and (root is None or max_bytes is None):
            configured = Settings.from_environment().cache
            root = root if root is not None else configured.root
            max_bytes = max_bytes if max_bytes is not None else configured.max_bytes
        self.root: Path | None = Path(root) if root else _default_root()
        self.max_bytes = max_bytes if max_bytes is not None else CacheSettings().max_bytes

    @classmethod
    def configured(cls, settings: CacheSettings) -> ResultCache:
        """The cache ``settings`` describe (their root, else the per-user cache folder)."""
        return cls(settings.root, settings.max_bytes, environment=False)

    @staticmethod
    def key(
        identity: str, detector: str, models: list[tuple[str, str]], range_: tuple[float, float], params: dict
    ) -> str:
        text = json.dumps(
            [FORMAT, identity, detector, sorted(models), [round(range_[0], 3), round(range_[1], 3)], params],
            sort_keys=True,
            default=str,  # a parameter json cannot write still keys by its text, never raises
        )
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}{ENTRY_SUFFIX}"

    def get(self, key: str) -> CachedAnalysis | None:
        """The entry stored under ``key``, or None: absent, unreadable, damaged (then removed) or not a
        regular file. Never raises.

        :param key: from :meth:`key`.
        """
        if self.root is None:
            return None
        path = self._path(key)
        opened = self._open(path)
        if opened is None:
            return None
        fh, identity = opened
        with fh:
            try:
                # The open file stays this entry's even if another writer replaces or evicts it meanwhile.
                with np.load(fh, allow_pickle=False) as data:
                    entry = _decode(data)
            except Exception as exc:  # broad on purpose: any damage (truncated zip, bad json, missing array)
                _warn_once(self.root, "damaged", "result cache entry %s unreadable (%s); dropped", path.name, exc)
                self._drop_if_unchanged(path, identity)
                return None
        self._touch(path)
        return entry

    def _open(self, path: Path) -> tuple[BinaryIO, os.stat_result] | None:
        """``path`` opened for reading with its stat, or None when absent, unreadable or not a regular file."""
        try:
            # Non-blocking, so a FIFO planted at an entry's name cannot hang the analysis.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return None
        except OSError as exc:
            _warn_once(self.root, "read", "result cache %s cannot be read (%s); analysing without it", self.root, exc)
            return None
        try:
            opened = os.fstat(fd)
            if stat_mode.S_ISREG(opened.st_mode):
                return os.fdopen(fd, "rb"), opened  # the file object owns fd now
        except OSError:
            pass
        os.close(fd)  # a folder or a device at an entry's name: a miss, left alone
        return None

    def put(self, key: str, entry: CachedAnalysis) -> bool:
        """Store ``entry`` under ``key`` (replacing any), then evict past the limit; whether it was stored.
        Never raises: a cache that cannot be written is skipped, with one warning.

        :param key: from :meth:`key`.
        :param entry: the analysis to keep.
        """
        if self.root is None:
            return False
        try:
            arrays = _encode(entry)
        except Exception as exc:  # broad on purpose: an output the format cannot hold is not cached
            _warn_once(self.root, "encode", "result cache: analysis not cached (%s)", exc)
            return False
        stored = self._write(self._path(key), arrays)
        if stored:
            self.evict()
        return stored

    def _write(self, path: Path, arrays: dict[str, np.ndarray]) -> bool:
        """Write ``arrays`` to a temp file of this thread only, then rename it to ``path``."""
        # pid, thread and a random part: two threads of one process may write the same key at once.
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        for attempt in range(2):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(tmp, "xb") as fh:
                    np.savez_compressed(fh, **arrays)
                os.replace(tmp, path)
                return True
            except FileNotFoundError as exc:  # the folder went meanwhile (a clear, an rm -r): once more
                failure = exc
                if attempt == 0:
                    continue
            except Exception as exc:  # broad on purpose: read-only, not a folder, disk full: the analysis goes on
                failure = exc
            break
        with contextlib.suppress(OSError):  # quietly: the warning below says what went wrong
            os.unlink(tmp)
        _warn_once(
            self.root, "write", "result cache %s cannot be written (%s); analysing without it", self.root, failure
        )
        return False

    def _touch(self, path: Path) -> None:
        """Mark ``path`` recently used; a read-only cache or an entry evicted meanwhile only lose that."""
        try:
            os.utime(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            _warn_once(self.root, "touch", "result cache %s: cannot mark entries used (%s)", self.root, exc)

    def _drop_if_unchanged(self, path: Path, opened: os.stat_result) -> None:
        """Remove the damaged entry at ``path`` unless another writer has replaced it since it was opened."""
        try:
            now = os.stat(path)
        except OSError:
            return
        if (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) == (
            opened.st_dev,
            opened.st_ino,
            opened.st_size,
            opened.st_mtime_ns,
        ):
            _remove(path, self.root)

    def _scan(self) -> tuple[list[_File], list[_File]]:
        """The entries and the temp files now in the cache, skipping whatever vanishes while listed."""
        entries: list[_File] = []
        temps: list[_File] = []
        for sub in _list_dir(self.root, self.root):
            try:
                if not sub.is_dir(follow_symlinks=False):
                    continue
            except OSError:
                continue
            for item in _list_dir(Path(sub.path), self.root):
                # A leading dot is a temp file (".<key>.<pid>.tmp.npz" from older versions too).
                if item.name.startswith("."):
                    kind = temps
                elif item.name.endswith(ENTRY_SUFFIX):
                    kind = entries
                else:
                    continue
                try:
                    st = item.stat(follow_symlinks=False)
                except OSError:  # renamed, evicted or removed since the listing
                    continue
                if stat_mode.S_ISREG(st.st_mode):
                    kind.append(_File(Path(item.path), st.st_size, st.st_mtime))
        return entries, temps

    def _drop_stale(self, temps: list[_File]) -> None:
        """Remove the temp files of writers that died; younger ones may be being renamed into entries."""
        stale = time.time() - STALE_TEMP_SECONDS
        for temp in temps:
            if temp.mtime < stale:
                _remove(temp.path, self.root)

    def entries(self) -> list[Path]:
        """The entries' files (never a temp file); empty when the folder is absent or unreadable."""
        return [f.path for f in self._scan()[0]] if self.root is not None else []

    def size(self) -> int:
        """Bytes the entries take, as listed."""
        return sum(f.size for f in self._scan()[0]) if self.root is not None else 0

    def evict(self) -> int:
        """Drop the least recently used entries until the cache fits its limit, and stale temp files;
        how many entries this call removed (another evictor may remove some first). Never raises."""
        if self.root is None:
            return 0
        entries, temps = self._scan()
        self._drop_stale(temps)
        entries.sort(key=lambda f: f.mtime)
        total = sum(f.size for f in entries)
        dropped = 0
        for victim in entries:
            if total <= self.max_bytes:
                break
            dropped += _remove(victim.path, self.root)
            total -= victim.size  # gone either way, by this call or another evictor
        return dropped

    def clear(self) -> int:
        """Remove every entry and stale temp file; how many entries went."""
        if self.root is None:
            return 0
        entries, temps = self._scan()
        self._drop_stale(temps)
        return sum(_remove(f.path, self.root) for f in entries)


def _default_root() -> Path | None:
    """The default folder, or None (the cache off) when there is no home folder to put it in."""
    try:
        return default_cache_dir()
    except (RuntimeError, KeyError, OSError) as exc:  # Path.home() without HOME or a passwd entry
        _warn_once(None, "root", "result cache off: no folder for it (%s)", exc)
        return None


def _list_dir(path: Path | None, root: Path | None) -> list[os.DirEntry]:
    """The folder's entries; empty when it is absent or vanished, and a warning when it cannot be read."""
    if path is None:
        return []
    try:
        with os.scandir(path) as it:
            return list(it)
    except FileNotFoundError:
        return []
    except OSError as exc:
        _warn_once(root, "list", "result cache %s cannot be listed (%s)", path, exc)
        return []


def _remove(path: Path, root: Path | None) -> bool:
    """Unlink ``path``; whether this call removed it (False when already gone or not removable)."""
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False
    except OSError as exc:
        _warn_once(root, "remove", "result cache %s: cannot remove entries (%s)", root, exc)
        return False


def _encode(entry: CachedAnalysis) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    outputs = []
    for i, out in enumerate(entry.outputs):
        if isinstance(out, PointCandidates):
            outputs.append({"kind": "points", "label": out.label})
            arrays[f"o{i}_times"], arrays[f"o{i}_lengths"], arrays[f"o{i}_scores"] = out.times, out.lengths, out.scores
        else:
            outputs.append(
                {
                    "kind": "track",
                    "label": out.label,
                    "start": out.start_seconds,
                    "step": out.step_seconds,
                    "window": out.window_seconds,
                    "smoothing": out.smoothing_steps,
                    "extras": sorted(out.extras),
                }
            )
            arrays[f"o{i}_scores"] = out.scores
            for name, values in out.extras.items():
                arrays[f"o{i}_x_{name}"] = np.asarray(values)
    meta = {
        "outputs": outputs,
        "grid": [entry.grid.detector, entry.grid.modality, entry.grid.step_seconds, entry.grid.window_seconds,
                 entry.grid.sample_rate],
        "warnings": entry.warnings,
        "luma": entry.luma_thumbnails,
        "picture_fps": entry.picture_fps,
    }  # fmt: skip
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    arrays = {name: np.asarray(values) for name, values in arrays.items()}
    for name, values in arrays.items():
        if values.dtype.hasobject:  # saved pickled, it could never be read back with allow_pickle=False
            raise ValueError(f"{name} holds Python objects")
    return arrays


def _decode(data) -> CachedAnalysis:
    meta = json.loads(bytes(data["meta"]).decode())
    outputs: list = []
    for i, out in enumerate(meta["outputs"]):
        if out["kind"] == "points":
            outputs.append(
                PointCandidates(out["label"], data[f"o{i}_times"], data[f"o{i}_lengths"], data[f"o{i}_scores"])
            )
        else:
            extras = {name: data[f"o{i}_x_{name}"] for name in out["extras"]}
            outputs.append(
                ScoreTrack(
                    out["label"],
                    out["start"],
                    out["step"],
                    out["window"],
                    data[f"o{i}_scores"],
                    out["smoothing"],
                    extras,
                )
            )
    return CachedAnalysis(outputs, GridTrack(*meta["grid"]), meta["warnings"], meta["luma"], meta["picture_fps"])


def info(settings: CacheSettings) -> dict:
    """Where the cache is, its entries and bytes (one listing), its limit and whether it is on."""
    cache = ResultCache.configured(settings)
    entries = cache._scan()[0] if cache.root is not None else []
    return {
        "path": str(cache.root) if cache.root is not None else "(no folder)",
        "entries": len(entries),
        "bytes": sum(f.size for f in entries),
        "limit_bytes": cache.max_bytes,
        "enabled": settings.enabled,
        "checked": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
