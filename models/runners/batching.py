"""Batching across requests: the ``infer`` calls of concurrent jobs are run together on the device.

Each analysis job runs on its own thread and sends its own batches (32 windows, 32 pictures). A
``CrossRequestBatcher`` wraps a model's runner: callers queue their batches, one dispatcher thread takes
the first one waiting, joins it with the others waiting for the same shapes (up to ``max_batch`` rows),
runs them as one batch and hands each caller its rows back. While the device runs one batch the next
fills up; when more than one job is using the model the dispatcher also waits up to ``max_wait_seconds``
for another caller's batch, as Triton's dynamic batcher does. A job alone is never delayed.

All inference of the model goes through the dispatcher thread, so a GPU sees one stream of large batches
instead of several threads competing, and a CUDA graph or a TensorRT context is only used from one thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from avevents.core.settings import RunnerSettings

from .base import Runner, RunnerError

log = logging.getLogger(__name__)

DEFAULT_MAX_BATCH = 64  # the largest batch in the TensorRT profiles (models/build.py)
DEFAULT_WAIT_SECONDS = 0.002
# A thread that called within this long (or ten waits, if longer) counts as a job using the model.
ACTIVE_CALLER_SECONDS = 1.0


@dataclass
class BatchStats:
    """What the dispatcher did: caller batches in, device runs out."""

    calls: int = 0
    runs: int = 0
    rows: int = 0
    merged_runs: int = 0  # runs that held the batches of more than one call
    largest_run: int = 0

    def snapshot(self) -> BatchStats:
        return replace(self)


@dataclass
class _Call:
    feeds: dict[str, np.ndarray]
    rows: int
    signature: tuple
    caller: int
    done: threading.Event = field(default_factory=threading.Event)
    result: dict[str, np.ndarray] | None = None
    error: BaseException | None = None


class CrossRequestBatcher(Runner):
    """A runner that queues ``infer`` calls and runs those of concurrent callers as one batch of ``inner``.

    Every input and output has the batch on axis 0. Calls whose other dimensions or dtypes differ are
    never joined. A joined run that fails is retried call by call, so one bad batch fails only its caller.
    """

    def __init__(
        self,
        inner: Runner,
        max_batch: int = DEFAULT_MAX_BATCH,
        max_wait_seconds: float = DEFAULT_WAIT_SECONDS,
    ):
        super().__init__(inner.inputs, inner.outputs, inner.device)
        if max_batch < 1:
            raise RunnerError(f"max_batch must be at least 1, got {max_batch}")
        self.inner = inner
        self.backend = inner.backend
        self.max_batch = max_batch
        self.max_wait_seconds = max_wait_seconds
        # A long wait is for jobs whose batches come far apart: they must still count as using the model.
        self.active_seconds = max(ACTIVE_CALLER_SECONDS, 10 * max_wait_seconds)
        self.stats = BatchStats()
        self._pending: deque[_Call] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._callers: dict[int, float] = {}
        self._thread: threading.Thread | None = None

    def _activate(self) -> None:
        self.inner.activate()
        self._closed = False
        self._thread = threading.Thread(target=self._dispatch, name=f"avevents-batch-{self.backend}", daemon=True)
        self._thread.start()

    def _deactivate(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None
        self.inner.deactivate()

    def _infer(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        arrays = {spec.name: feeds[spec.name] for spec in self.inputs}
        rows = {a.shape[0] for a in arrays.values()}
        if len(rows) != 1:
            raise RunnerError(f"inputs disagree on the batch size: {sorted(rows)}")
        signature = tuple((name, a.dtype.str, a.shape[1:]) for name, a in arrays.items())
        call = _Call(arrays, rows.pop(), signature, threading.get_ident())
        with self._cond:
            if self._closed:
                raise RunnerError("the model was unloaded")
            self._callers[call.caller] = time.monotonic()
            self.stats.calls += 1
            self._pending.append(call)
            self._cond.notify_all()
        call.done.wait()
        if call.error is not None:
            raise call.error
        return call.result

    # The dispatcher thread.

    def _dispatch(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if not self._pending:
                    return  # closed and drained
                group = self._take()
            self._run(group)

    def _active_callers(self, now: float) -> int:
        for ident in [i for i, seen in self._callers.items() if now - seen > self.active_seconds]:
            del self._callers[ident]
        return len(self._callers)

    def _take(self) -> list[_Call]:
        """The first waiting call and the compatible ones behind it (lock held). Waits for other jobs'
        calls up to ``max_wait_seconds`` when more than one job is using the model."""
        first = self._pending.popleft()
        group, rows = [first], first.rows
        deadline = time.monotonic() + self.max_wait_seconds
        while True:
            rows = self._join_waiting(group, rows)
            now = time.monotonic()
            in_group = {c.caller for c in group}
            if self._closed or rows >= self.max_batch or now >= deadline or self._active_callers(now) <= len(in_group):
                return group
            self._cond.wait(deadline - now)

    def _join_waiting(self, group: list[_Call], rows: int) -> int:
        keep: deque[_Call] = deque()
        signature = group[0].signature
        while self._pending:
            call = self._pending.popleft()
            if call.signature == signature and rows + call.rows <= self.max_batch:
                group.append(call)
                rows += call.rows
            else:
                keep.append(call)
        self._pending = keep
        return rows

    def _run(self, group: list[_Call]) -> None:
        if len(group) == 1:
            self._run_one(group[0])
            return
        try:
            feeds = {name: np.concatenate([c.feeds[name] for c in group]) for name in group[0].feeds}
            out = self.inner.infer(feeds)
        except Exception as exc:
            log.debug("a joined batch failed (%s); running its calls one by one", exc)
            for call in group:
                self._run_one(call)
            return
        rows = sum(c.rows for c in group)
        self._count(rows, merged=True)
        bounds = np.cumsum([c.rows for c in group])[:-1]
        parts = {name: np.split(value, bounds) for name, value in out.items()}
        for i, call in enumerate(group):
            call.result = {name: np.ascontiguousarray(split[i]) for name, split in parts.items()}
            call.done.set()

    def _run_one(self, call: _Call) -> None:
        try:
            call.result = self.inner.infer(call.feeds)
            self._count(call.rows, merged=False)
        except BaseException as exc:  # handed to the caller's thread, raised there
            call.error = exc
        call.done.set()

    def _count(self, rows: int, merged: bool) -> None:
        with self._cond:
            self.stats.runs += 1
            self.stats.rows += rows
            self.stats.merged_runs += int(merged)
            self.stats.largest_run = max(self.stats.largest_run, rows)


def shared_runner(runner: Runner, settings: RunnerSettings, max_batch: int = DEFAULT_MAX_BATCH) -> Runner:
    """``runner`` behind a cross-request batcher (active) where ``settings`` turn batching across requests
    on. Unset, it is on for a GPU (or a remote server) and off on the CPU, where it was measured 0.87x
    (bench/bench_concurrency.py, 2 cores: decoding is the bottleneck there, and serialising inference
    through one thread only costs)."""
    if not settings.cross_batching_on(runner.device):
        return runner
    return CrossRequestBatcher(runner, max_batch, settings.batch_wait_ms / 1000.0).activate()
