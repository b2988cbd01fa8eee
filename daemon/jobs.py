"""A bounded, first-come-first-served queue of detection jobs with a fixed number running at once, and
the one object a Detect request is while it waits and runs (``Job``)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections import deque
from collections.abc import AsyncIterator

from avevents.core.errors import Cancelled, QueueFull

from .job_log import FINISHED, JobLog, JobRecord


class JobQueue:
    """At most ``max_running`` jobs run; at most ``max_queued`` wait; more is RESOURCE_EXHAUSTED."""

    def __init__(self, max_running: int = 1, max_queued: int = 8):
        if max_running < 1 or max_queued < 0:
            raise ValueError("max_running must be >= 1 and max_queued >= 0")
        self.max_running = max_running
        self.max_queued = max_queued
        self.running = 0
        self.completed = 0
        self.failed = 0
        self._waiting: deque[int] = deque()
        self._tickets = itertools.count()
        self._changed = asyncio.Condition()

    @property
    def queued(self) -> int:
        return len(self._waiting)

    def position(self, ticket: int) -> int:
        """Jobs ahead of ``ticket`` (0: next to run)."""
        try:
            return self._waiting.index(ticket)
        except ValueError:
            return 0

    def enqueue(self) -> int:
        """Take a place in the queue or fail at once when it is full."""
        if self.running >= self.max_running and len(self._waiting) >= self.max_queued:
            raise QueueFull(
                f"the daemon is busy: {self.running} job(s) running and {len(self._waiting)} waiting "
                f"(limit {self.max_queued}); try again shortly"
            )
        ticket = next(self._tickets)
        self._waiting.append(ticket)
        return ticket

    def withdraw(self, ticket: int) -> None:
        """Give up a place taken by ``enqueue`` before waiting for it (the request failed its checks)."""
        if ticket in self._waiting:
            self._waiting.remove(ticket)

    async def acquire(self, ticket: int) -> None:
        """Wait for ``ticket``'s turn and take a running slot; pair with ``release``."""
        try:
            async with self._changed:
                await self._changed.wait_for(
                    lambda: self._waiting and self._waiting[0] == ticket and self.running < self.max_running
                )
                self._waiting.popleft()
                self.running += 1
                self._changed.notify_all()
        except BaseException:
            # Cancelled while waiting: give the place up.
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            raise

    async def release(self, ok: bool) -> None:
        self.running -= 1
        if ok:
            self.completed += 1
        else:
            self.failed += 1
        async with self._changed:
            self._changed.notify_all()

    async def wait_for_change(self, timeout: float) -> None:
        """Sleep until the queue moves (or ``timeout``): lets a waiting job report its position."""
        async with self._changed:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)


class Job:
    """One Detect request from its place in the queue to its end: its ticket in the queue, its record in
    the job log (what ListJobs shows and CancelJob stops), its cancel event and its prepared analysis. The
    servicer holds this one object instead of a ticket, a record, an event and flags side by side."""

    def __init__(self, queue: JobQueue, ticket: int, log: JobLog, record: JobRecord, prepared: object):
        self.queue, self.ticket, self.log, self.record, self.prepared = queue, ticket, log, record, prepared
        self._running = False  # holds a running slot, to give back at the end
        self._ended = False

    @property
    def cancel(self) -> threading.Event:
        return self.record.cancel

    async def turns(self, heartbeat: float) -> AsyncIterator[int]:
        """Wait for a running slot, yielding the queue position when it changes and every ``heartbeat``
        seconds meanwhile; once the slot is taken the job is running.

        :raises Cancelled: another client cancelled the job while it waited."""
        waiting = asyncio.ensure_future(self.queue.acquire(self.ticket))
        reported, reported_at = -1, 0.0
        try:
            while not waiting.done():
                if self.cancel.is_set():
                    raise Cancelled("the job was cancelled (from another client)")
                position = self.queue.position(self.ticket)
                self.record.queue_position = position
                if position != reported or time.monotonic() - reported_at >= heartbeat:
                    reported, reported_at = position, time.monotonic()
                    yield position
                await asyncio.wait(
                    {waiting, asyncio.ensure_future(self.queue.wait_for_change(0.5))},
                    return_when=asyncio.FIRST_COMPLETED,
                )
            waiting.result()
        except BaseException:
            waiting.cancel()
            if waiting.done() and not waiting.cancelled() and waiting.exception() is None:
                self._running = True  # the slot was granted as the client left: given back at the end
            raise
        self._running = True
        self.log.start(self.record)

    def progressed(self, stage: str, fraction: float) -> None:
        self.record.stage, self.record.fraction = stage, fraction

    async def end(self, state: str, message: str = "", events: int = 0) -> None:
        """Finish the job as ``state`` (done, failed, cancelled) once, giving its running slot back."""
        if self._ended:
            return
        self._ended = True
        if state != "done":
            self.cancel.set()  # a worker still running stops at its next check
        if self.record.state not in FINISHED:
            self.log.finish(self.record, state, message, events)
        if self._running:
            self._running = False
            await self.queue.release(state == "done")
