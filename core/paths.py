"""Per-user locations of the daemon's socket, lock, discovery file and access token.

Linux: ``$XDG_RUNTIME_DIR/avevents`` (else ``/tmp/avevents-<uid>``); macOS: ``~/Library/Caches/avevents``;
Windows: ``%LOCALAPPDATA%\\avevents``. ``AVEVENTS_RUNTIME_DIR`` and ``AVEVENTS_CONFIG_DIR`` override both
(tests use them to run isolated daemons).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import AvEventsError, UnsafeDirectory

SOCKET_NAME = "avevents.sock"
LOCK_NAME = "daemon.lock"
INFO_NAME = "daemon.json"
TOKEN_NAME = "token"
MAX_UNIX_PATH = 100  # AF_UNIX paths are limited to ~104-108 bytes depending on the OS


def _private_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = path.stat()
    except OSError as exc:  # a HOME or XDG folder this user cannot write: one line, not a traceback
        raise UnsafeDirectory(f"cannot use {path} for avevents: {exc.strerror or exc}") from None
    if hasattr(os, "getuid"):
        if st.st_uid != os.getuid():
            raise UnsafeDirectory(f"{path} belongs to another user; refusing to put avevents' socket there")
        if stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, 0o700)
    return path


def runtime_dir() -> Path:
    """Private directory for the socket, the lock and the discovery file."""
    override = os.environ.get("AVEVENTS_RUNTIME_DIR")
    if override:
        return _private_dir(Path(override))
    if sys.platform == "win32":
        return _private_dir(Path(os.environ.get("LOCALAPPDATA", Path.home())) / "avevents" / "run")
    if sys.platform == "darwin":
        return _private_dir(Path.home() / "Library" / "Caches" / "avevents" / "run")
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and Path(xdg).is_dir():
        return _private_dir(Path(xdg) / "avevents")
    return _private_dir(Path(tempfile.gettempdir()) / f"avevents-{os.getuid()}")


def config_dir() -> Path:
    override = os.environ.get("AVEVENTS_CONFIG_DIR")
    if override:
        return _private_dir(Path(override))
    if sys.platform == "win32":
        return _private_dir(Path(os.environ.get("APPDATA", Path.home())) / "avevents")
    if sys.platform == "darwin":
        return _private_dir(Path.home() / "Library" / "Application Support" / "avevents")
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return _private_dir(Path(base) / "avevents")


def user_dir(kind: str, name: str) -> Path:
    """A per-user folder of ``kind`` "data" or "cache" for avevents' ``name`` (settings may name another:
    ``core.settings``): %LOCALAPPDATA% on Windows, ~/Library/{Application Support,Caches} on macOS, XDG
    elsewhere."""
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "avevents" / name
    if sys.platform == "darwin":
        return Path.home() / "Library" / ("Caches" if kind == "cache" else "Application Support") / "avevents" / name
    xdg, fallback = ("XDG_CACHE_HOME", ".cache") if kind == "cache" else ("XDG_DATA_HOME", ".local/share")
    return Path(os.environ.get(xdg) or Path.home() / fallback) / "avevents" / name


def unix_sockets_supported() -> bool:
    return sys.platform != "win32"


def default_socket_path() -> Path:
    path = runtime_dir() / SOCKET_NAME
    if len(str(path)) > MAX_UNIX_PATH:
        raise AvEventsError(
            f"socket path {path} is too long for a Unix socket; set AVEVENTS_RUNTIME_DIR to a shorter directory"
        )
    return path


def token_path() -> Path:
    return config_dir() / TOKEN_NAME


def read_or_create_token() -> str:
    """The per-user token required on TCP; created once with 0600 permissions."""
    path = token_path()
    if path.is_file():
        token = path.read_text().strip()
        if token:
            return token
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token


def read_token() -> str | None:
    path = token_path()
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


@dataclass
class DaemonInfo:
    """What a running daemon publishes so clients can find it."""

    address: str
    pid: int
    version: str
    token_required: bool

    @classmethod
    def read(cls) -> DaemonInfo | None:
        try:
            data = json.loads((runtime_dir() / INFO_NAME).read_text())
            return cls(data["address"], int(data["pid"]), data.get("version", ""), bool(data["token_required"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self) -> Path:
        path = runtime_dir() / INFO_NAME
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(self.__dict__, fh)
        os.replace(tmp, path)
        return path

    @staticmethod
    def remove() -> None:
        with contextlib.suppress(FileNotFoundError):
            (runtime_dir() / INFO_NAME).unlink()


class SingleInstanceLock:
    """An exclusive lock held for the daemon's lifetime; a second ``serve`` cannot take it."""

    def __init__(self) -> None:
        self.path = runtime_dir() / LOCK_NAME
        self._fh = None

    def acquire(self) -> bool:
        fh = open(self.path, "a+")  # noqa: SIM115 - held open for the process lifetime
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._fh = fh
        return True

    def is_held(self) -> bool:
        """True while a daemon holds the lock (it may still be starting: no discovery file yet)."""
        if not self.path.exists():
            return False
        if self.acquire():  # free: nobody serves; let it go at once
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
