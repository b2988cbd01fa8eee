"""A bounded, first-come-first-served queue of detection jobs with a fixed number running at once."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import deque

from avevents.core.errors import QueueFull


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
