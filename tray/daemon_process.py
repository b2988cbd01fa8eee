"""Start, stop and restart the daemon from the tray (``avevents serve`` in its own session, logging to
a file the tray can open)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from avevents.core.paths import DaemonInfo, config_dir

LOG_NAME = "daemon.log"


def log_path() -> Path:
    return config_dir() / LOG_NAME


def start(extra_args: list[str] | None = None, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """Launch the daemon; it outlives the tray (its own session). Its output goes to ``log_path()``.
    ``extra_env`` is laid over this process's environment for the daemon alone."""
    log = open(log_path(), "ab")  # noqa: SIM115 - handed to the child, closed here after the spawn
    try:
        flags = {"start_new_session": True} if os.name != "nt" else {"creationflags": 0x00000200}
        return subprocess.Popen(
            [sys.executable, "-m", "avevents.cli.main", "serve", *(extra_args or [])],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(extra_env or {})},
            **flags,
        )
    finally:
        log.close()


def stop(timeout: float = 20.0) -> bool:
    """Ask the running daemon to stop (SIGTERM: it finishes or cancels its jobs) and wait; True when
    one was running."""
    info = DaemonInfo.read()
    if info is None:
        return False
    try:
        if os.name == "nt":
            import psutil

            psutil.Process(info.pid).terminate()
        else:
            os.kill(info.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError, OSError):
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and DaemonInfo.read() is not None:
        time.sleep(0.1)
    return True
