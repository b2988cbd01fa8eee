"""Daemon calls off the GUI thread, with progress, cancel and a status poll that notices the daemon
going away and coming back.

Each call runs on a pool thread with its own client connection (so cancelling one stream never touches
another); results, progress and failures come back as Qt signals on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from avevents.core.errors import AvEventsError, Cancelled, DaemonUnavailable
from avevents.daemon.client import DaemonClient

from .state import TrayState, tray_state

log = logging.getLogger(__name__)


class _Signals(QObject):
    progress = Signal(object)
    done = Signal(object)
    failed = Signal(str, str)  # error class name, message


class Call(QRunnable):
    """``work(client, report)`` on a pool thread; ``cancel()`` from the GUI thread stops its stream."""

    def __init__(self, work: Callable, address: str | None):
        super().__init__()
        self.work, self.address = work, address
        self.signals = _Signals()
        self.cancelled = threading.Event()
        self._client: DaemonClient | None = None
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            self._client = DaemonClient.connect(self.address, timeout=2.0)
            if self.cancelled.is_set():
                raise Cancelled("cancelled")
            result = self.work(self._client, self.signals.progress.emit)
        except AvEventsError as exc:
            kind = "Cancelled" if self.cancelled.is_set() else type(exc).__name__
            self.signals.failed.emit(kind, str(exc))
        except Exception as exc:  # a bug must reach the window, not vanish in a pool thread
            log.exception("tray call failed")
            self.signals.failed.emit(type(exc).__name__, str(exc))
        else:
            self.signals.done.emit(result)
        finally:
            if self._client is not None:
                self._client.close()

    def cancel(self) -> None:
        self.cancelled.set()
        client = self._client
        if client is not None:
            client.cancel()


class DaemonLink(QObject):
    """The tray's connection: one-off calls, and a poll of status and jobs every ``poll_ms``."""

    state_changed = Signal(object)  # TrayState
    status_received = Signal(object)  # pb.Status, or None when the daemon did not answer
    jobs_received = Signal(list)

    def __init__(self, address: str | None = None, poll_ms: int = 1000):
        super().__init__()
        self.address = address
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(4)
        self.calls: set[Call] = set()
        self.starting = False
        self.state = tray_state(None)
        self._polling = False
        self.timer = QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self.poll)

    def start_polling(self) -> None:
        self.poll()
        self.timer.start()

    def run(
        self,
        work: Callable,
        on_done: Callable | None = None,
        on_failed: Callable[[str, str], None] | None = None,
        on_progress: Callable | None = None,
    ) -> Call:
        call = Call(work, self.address)
        self.calls.add(call)
        if on_progress is not None:
            call.signals.progress.connect(on_progress)
        if on_done is not None:
            call.signals.done.connect(on_done)
        if on_failed is not None:
            call.signals.failed.connect(on_failed)
        call.signals.done.connect(lambda _=None: self.calls.discard(call))
        call.signals.failed.connect(lambda *_: self.calls.discard(call))
        self.pool.start(call)
        return call

    def poll(self) -> None:
        if self._polling:
            return
        self._polling = True

        def work(client, report):
            return client.status(), client.list_jobs()

        def done(result):
            self._polling = False
            status, jobs = result
            self.starting = False
            self._publish(tray_state(status), status)
            self.jobs_received.emit(jobs)

        def failed(kind, message):
            self._polling = False
            error = "" if kind == DaemonUnavailable.__name__ else message
            self._publish(tray_state(None, error, self.starting), None)

        self.run(work, done, failed)

    def _publish(self, state: TrayState, status) -> None:
        self.status_received.emit(status)
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def wait_idle(self, msecs: int = 30000) -> bool:
        """For shutdown and tests: wait for the pool's calls to end."""
        return self.pool.waitForDone(msecs)
