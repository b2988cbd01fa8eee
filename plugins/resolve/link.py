"""The script inside Resolve talks to avevents through a subprocess of avevents' own interpreter that
speaks JSON lines (standard library only: Resolve's Python has no grpcio).

Protocol (one JSON object per line): the plugin writes ``{"op": "status" | "start_daemon" | "packs" |
"detect" | "cancel", ...}``; the worker answers ``{"type": "status" | "packs", ...}``, or for ``detect`` a stream of
``{"type": "progress", "request": i, "count": n, "stage": s, "fraction": f, "message": m}`` then
``{"type": "done", "outcomes": {i: {...}}}``, or ``{"type": "fatal", "kind": k, "message": m}``.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading


class LinkError(Exception):
    """Detection could not run at all: ``kind`` is DaemonUnavailable, Cancelled, WorkerFailed..."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


class WorkerLink:
    """``python -m avevents.plugins.resolve.worker`` under avevents' interpreter, started on first use."""

    def __init__(self, python: str, env: dict | None = None):
        self.python = python
        self.env = env
        self._process: subprocess.Popen | None = None
        self._write_lock = threading.Lock()

    def _start(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            try:
                self._process = subprocess.Popen(
                    [self.python, "-m", "avevents.plugins.resolve.worker"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    encoding="utf-8",
                    bufsize=1,
                    env=self.env,
                )
            except OSError as exc:
                raise LinkError(
                    "WorkerFailed",
                    f"cannot start avevents' Python ({self.python}): {exc}; reinstall with `avevents resolve install`",
                ) from None
        return self._process

    def _send(self, message: dict) -> None:
        process = self._start()
        with self._write_lock:
            try:
                process.stdin.write(json.dumps(message) + "\n")
                process.stdin.flush()
            except (BrokenPipeError, OSError):
                raise LinkError("WorkerFailed", self._died()) from None

    def _receive(self) -> dict:
        line = self._process.stdout.readline()
        if not line:
            raise LinkError("WorkerFailed", self._died())
        return json.loads(line)

    def _died(self) -> str:
        process = self._process
        code = process.wait(timeout=5) if process is not None else None
        err = process.stderr.read() if process is not None and process.stderr else ""
        tail = err.strip().splitlines()[-3:]
        self._process = None
        return f"avevents' worker stopped (exit {code})" + (": " + " | ".join(tail) if tail else "")

    def _call(self, message: dict, on_progress=None) -> dict:
        self._send(message)
        while True:
            reply = self._receive()
            kind = reply.get("type")
            if kind == "progress":
                if on_progress is not None:
                    on_progress(
                        reply["request"], reply["count"], reply["stage"], reply["fraction"], reply.get("message", "")
                    )
                continue
            if kind == "fatal":
                raise LinkError(reply.get("kind", "WorkerFailed"), reply.get("message", ""))
            return reply

    def status(self) -> dict:
        return self._call({"op": "status"})

    def start_daemon(self) -> dict:
        return self._call({"op": "start_daemon"})

    def packs(self) -> dict:
        return self._call({"op": "packs"})

    def detect(self, requests: list[dict], options: dict, on_progress=None) -> dict[int, dict]:
        reply = self._call({"op": "detect", "requests": requests, "options": options}, on_progress)
        return {int(k): v for k, v in reply.get("outcomes", {}).items()}

    def cancel(self) -> None:
        """From another thread (the window's Cancel button): the worker cancels the call in flight."""
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(LinkError):  # the worker is gone: nothing left to cancel
                self._send({"op": "cancel"})

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            try:
                process.stdin.close()
                process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
