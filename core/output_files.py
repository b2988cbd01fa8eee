"""Writing a user's output files without harm: the one writer of the CLI's results and the bridges'
timelines (and what checks, before an analysis, that it will be able to write).

A regular file is replaced atomically and keeps its permissions; a symlink is followed; a character
device or a FIFO (``/dev/null``, a pipe) is written to, never renamed over.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from .errors import OutputUnwritable


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
    """Write a text file with ``write(file)``: the one way avevents writes a user-visible output file.

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
            if hasattr(os, "chown") and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
                with contextlib.suppress(OSError):  # only root may give the file back to its owner
                    os.chown(tmp, st.st_uid, st.st_gid)
            os.chmod(tmp, stat.S_IMODE(st.st_mode))  # after chown, which may clear set-id bits
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
