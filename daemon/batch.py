"""Detection of many media ranges in one go, for the editor bridges: on the running daemon
(``DaemonBatch``) or in this process (``LocalBatch``), with the same interface and results.

``detect(requests, options, on_progress)`` takes ``{"path", "start", "end"}`` requests and returns
``{index: {"events": [...], "warnings": [...], "pack": ...}}`` or ``{index: {"error": {...}}}`` per
request: one bad file never stops the others. Not running daemon and cancel raise (``DaemonUnavailable``,
``Cancelled``).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed

from avevents.core.errors import AvEventsError, Cancelled, DaemonUnavailable
from avevents.core.results import DetectOptions, DetectResult

log = logging.getLogger(__name__)
START_TIMEOUT = 90.0
MAX_PARALLEL = 4

# (request index, request count, stage, fraction of that request, message)
BatchProgress = Callable[[int, int, str, float, str], None]


def job_slots(client) -> int:
    """Requests worth sending at once to ``client``'s daemon: the jobs it runs at once (``avevents serve
    --jobs N``), at most ``MAX_PARALLEL``; 1 when it does not answer."""
    try:
        return max(1, min(MAX_PARALLEL, client.status().max_running_jobs))
    except AvEventsError:
        return 1


def _options(request: dict, options: dict) -> DetectOptions:
    return DetectOptions(
        labels=tuple(options.get("labels") or ()),
        pack=options.get("pack") or "",
        source_range=(float(request["start"]), float(request["end"])),
        sensitivity=options.get("sensitivity"),
    )


def _outcome(result: DetectResult) -> dict:
    return {"events": [e.to_dict() for e in result.events], "warnings": list(result.warnings), "pack": result.pack}


class _Batch:
    """The loop over requests; subclasses say how one request runs and how to cancel it.

    Up to ``parallel()`` requests run at once (the daemon's job slots), so the daemon decodes several
    files while their windows share the device's batches; outcomes are per request index either way.
    """

    def __init__(self) -> None:
        self._cancel = threading.Event()

    def _run_one(self, path: str, options: DetectOptions, progress) -> DetectResult:
        raise NotImplementedError

    def parallel(self) -> int:
        return 1

    def detect(self, requests: list[dict], options: dict, on_progress: BatchProgress | None = None) -> dict[int, dict]:
        self._cancel.clear()
        report_lock = threading.Lock()  # callers' progress callbacks need not be thread-safe

        def run(index: int, request: dict) -> dict:
            if self._cancel.is_set():
                raise Cancelled("cancelled")

            def progress(update) -> None:
                if on_progress is not None:
                    with report_lock:
                        on_progress(index, len(requests), update.stage, update.fraction, update.message)

            try:
                return _outcome(self._run_one(request["path"], _options(request, options), progress))
            except (Cancelled, DaemonUnavailable):
                raise
            except AvEventsError as exc:
                return {"error": {"kind": type(exc).__name__, "message": str(exc)}}

        workers = max(1, min(self.parallel(), len(requests)))
        if workers == 1:
            return {index: run(index, request) for index, request in enumerate(requests)}
        outcomes: dict[int, dict] = {}
        with ThreadPoolExecutor(workers, thread_name_prefix="avevents-batch") as pool:
            futures = {pool.submit(run, i, r): i for i, r in enumerate(requests)}
            try:
                for future in as_completed(futures):
                    outcomes[futures[future]] = future.result()
            except BaseException:
                self.cancel()  # the others stop too; nothing is half-applied by the callers
                for future in futures:
                    future.cancel()
                raise
        return dict(sorted(outcomes.items()))

    def cancel(self) -> None:
        self._cancel.set()

    def close(self) -> None:
        pass


class DaemonBatch(_Batch):
    """The running daemon, through the gRPC client."""

    where = "daemon"

    def __init__(self, address: str | None = None):
        super().__init__()
        self.address = address
        self._client = None

    def _connect(self):
        from .client import DaemonClient

        if self._client is None:
            self._client = DaemonClient.connect(self.address, timeout=2.0)
        return self._client

    def _run_one(self, path: str, options: DetectOptions, progress) -> DetectResult:
        return self._connect().detect(path, options, progress)

    def parallel(self) -> int:
        try:
            return job_slots(self._connect())
        except AvEventsError:
            return 1

    def status(self) -> dict:
        try:
            client = self._connect()
            status = client.status()
        except AvEventsError as exc:
            return {"running": False, "message": str(exc)}
        return {"running": True, "address": client.address, "version": status.version, "message": ""}

    def start_daemon(self) -> dict:
        """``avevents serve`` in the background (its own session, outliving this process), then wait."""
        current = self.status()
        if current["running"]:
            return current
        subprocess.Popen(
            [sys.executable, "-m", "avevents.cli.main", "serve"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            current = self.status()
            if current["running"]:
                return current
            time.sleep(0.3)
        return {"running": False, "message": f"the daemon did not answer within {START_TIMEOUT:.0f} s of starting"}

    def cancel(self) -> None:
        super().cancel()
        if self._client is not None:
            self._client.cancel()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class LocalBatch(_Batch):
    """This process runs the pipeline (no daemon): models load on first use and stay for the batch."""

    where = "in-process"

    def __init__(self) -> None:
        super().__init__()
        from avevents.engine.residency import ResidentModels

        self.models = ResidentModels()

    def _run_one(self, path: str, options: DetectOptions, progress) -> DetectResult:
        from avevents.engine.pipeline import detect

        return detect(path, options, self.models, self._cancel, progress)


def open_batch(mode: str = "auto") -> _Batch:
    """``daemon`` (must be running), ``in-process``, or ``auto``: the daemon when it answers, else here."""
    if mode in ("auto", "daemon"):
        batch = DaemonBatch()
        try:
            batch._connect()
            return batch
        except DaemonUnavailable:
            if mode == "daemon":
                raise
    return LocalBatch()
