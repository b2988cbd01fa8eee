"""What the daemon is doing and has done: one record per Detect request (queued, running, then done,
failed or cancelled), the last ``keep`` finished ones kept, for the tray's Jobs view. A job can be
cancelled by id from any client: its cancel event stops the worker, and a queued one leaves the queue."""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass, field

FINISHED = ("done", "failed", "cancelled")


@dataclass
class JobRecord:
    id: str
    media_path: str
    pack: str
    labels: tuple[str, ...]
    state: str = "queued"  # queued | running | done | failed | cancelled
    stage: str = "queued"
    fraction: float = 0.0
    queue_position: int = 0
    submitted: float = field(default_factory=time.time)
    started: float = 0.0
    finished: float = 0.0
    message: str = ""
    events: int = 0
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)


class JobLog:
    def __init__(self, keep: int = 50):
        self._lock = threading.Lock()
        self._active: dict[str, JobRecord] = {}
        self._recent: deque[JobRecord] = deque(maxlen=keep)
        self._ids = itertools.count(1)

    def add(self, media_path: str, pack: str, labels: tuple[str, ...]) -> JobRecord:
        with self._lock:
            record = JobRecord(f"job-{next(self._ids)}", media_path, pack, tuple(labels))
            self._active[record.id] = record
            return record

    def start(self, record: JobRecord) -> None:
        record.state, record.stage, record.started, record.queue_position = "running", "loading", time.time(), 0

    def finish(self, record: JobRecord, state: str, message: str = "", events: int = 0) -> None:
        record.state, record.message, record.events, record.finished = state, message, events, time.time()
        if state == "done":
            record.fraction = 1.0
        with self._lock:
            self._active.pop(record.id, None)
            self._recent.appendleft(record)

    def jobs(self) -> list[JobRecord]:
        """Running and queued jobs first (oldest first), then the finished ones (newest first)."""
        with self._lock:
            active = sorted(self._active.values(), key=lambda r: r.submitted)
            return active + list(self._recent)

    def cancel(self, job_id: str) -> JobRecord | None:
        """Ask a queued or running job to stop; None when no such job is active."""
        with self._lock:
            record = self._active.get(job_id)
        if record is not None:
            record.cancel.set()
        return record

    def find(self, job_id: str) -> JobRecord | None:
        with self._lock:
            return self._active.get(job_id) or next((r for r in self._recent if r.id == job_id), None)
