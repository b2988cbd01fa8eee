"""File helpers shared by the model store and the loaders: sha256, checks at load, names kept in a folder.

Every weights or exported file the product loads is checked against the sha256 recorded when it was
installed or written. Hashing costs about 1 ms per MB here (4 MB tagger: 4 ms; a 45 MB ResNet18: 35 ms;
the 380 MB Wav2Vec2: 0.26 s, warm page cache), so the result is remembered for the process keyed by the
file's identity (device, inode, size, mtime and ctime in ns): a later load costs one ``stat``, and any
write to the file (which moves its ctime, even when its mtime is put back) forces a full hash again.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path, PurePosixPath, PureWindowsPath

from avevents.core.errors import IntegrityError, ModelUnavailable

# path -> (identity at the time of hashing, hex sha256): files hashed by this process.
_DIGESTS: dict[str, tuple[tuple[int, ...], str]] = {}
_LOCK = threading.Lock()
SETTLE_NS = 2_000_000_000


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks.

    :param path: the file (a symlink is followed).
    :param chunk: bytes read at a time.
    :returns: 64 lowercase hex digits.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _identity(stat: os.stat_result) -> tuple[int, ...]:
    # ctime is in the key because a writer can restore the mtime (os.utime) but never the ctime.
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def file_digest(path: Path) -> str:
    """sha256 of ``path``, hashed once per version of the file in this process.

    :param path: the file.
    :returns: its hex sha256; a file whose identity changed since it was last hashed is hashed again.
    :raises OSError: the file cannot be read.
    """
    key = os.fspath(Path(path).absolute())
    before = _identity(os.stat(key))
    with _LOCK:
        known = _DIGESTS.get(key)
    if known is not None and known[0] == before:
        return known[1]
    digest = sha256_of(Path(key))
    if _identity(os.stat(key)) == before and _settled(before):
        with _LOCK:
            _DIGESTS[key] = (before, digest)
    return digest


def _settled(identity: tuple[int, ...]) -> bool:
    """Whether a file's identity can stand for its content: unchanged while it was hashed (checked by the
    caller) and last changed well before now. File times tick coarsely (a few ms on Linux), so a second
    write just after the first can keep every field of the identity; like git's "racy" index entries, a
    file changed in the last ``SETTLE_NS`` is hashed again at every load until it is older."""
    return time.time_ns() - max(identity[3], identity[4]) > SETTLE_NS


def forget_digest(path: Path) -> None:
    """Drop what this process remembers of ``path`` (after deleting or rewriting it)."""
    with _LOCK:
        _DIGESTS.pop(os.fspath(Path(path).absolute()), None)


def digest_problem(path: Path, recorded: str, made: str) -> str | None:
    """Why a cached file must not be loaded (unreadable, or not the ``recorded`` sha256), or None.

    :param made: how the file came to be ("exported", "built"), for the sentence.
    """
    try:
        actual = file_digest(path)
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    if actual != recorded:
        return f"it was modified after it was {made} (sha256 {actual[:16]}..., recorded {recorded[:16]}...)"
    return None


def verify_file(path: Path, expected: str, fix: str) -> Path:
    """Check ``path`` against the sha256 recorded for it before it is loaded.

    :param path: the file about to be loaded.
    :param expected: the hex sha256 recorded when it was installed or written.
    :param fix: what the user runs to repair it (ends the error message).
    :returns: ``path``.
    :raises ModelUnavailable: the file is missing or unreadable.
    :raises IntegrityError: its content differs from the record.
    """
    path = Path(path)
    try:
        actual = file_digest(path)
    except FileNotFoundError:
        raise ModelUnavailable(f"model file missing: {path}; {fix}") from None
    except OSError as exc:
        raise ModelUnavailable(f"model file unreadable: {path} ({exc.strerror or exc}); {fix}") from None
    if actual != expected.lower():
        raise IntegrityError(
            f"{path} was modified after it was installed (sha256 {actual[:16]}..., recorded {expected[:16]}...); {fix}"
        )
    return path


def confined(folder: Path, name: str) -> Path:
    """``folder / name`` when ``name`` stays inside ``folder``, after symlinks are resolved.

    :param folder: the folder the name belongs to (a pack folder).
    :param name: a relative file name read from a manifest (untrusted).
    :returns: the path inside ``folder``.
    :raises ValueError: ``name`` is empty, absolute, has a ``..`` part or a drive, or resolves outside
        ``folder`` (a symlink pointing out of it); the message says which.
    """
    if not isinstance(name, str) or not name or "\x00" in name:
        raise ValueError(f"file name {name!r} is empty or not text")
    # Both spellings are checked: a manifest written on one system may be read on the other.
    for pure in (PurePosixPath(name), PureWindowsPath(name)):
        if pure.is_absolute() or pure.anchor or pure.drive:
            raise ValueError(f"file name {name!r} is an absolute path")
        if ".." in pure.parts:
            raise ValueError(f"file name {name!r} climbs out of its folder ('..')")
    root = Path(folder).resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root) or target == root:
        raise ValueError(f"file name {name!r} resolves to {target}, outside {root}")
    return root / name
