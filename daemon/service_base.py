"""What the daemon's two services share: the resident models, the job queue, the worker and admin
threads, the way an error becomes a gRPC status, and streaming a worker's progress."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import grpc

from avevents.engine.residency import ResidentModels

from .job_log import JobLog
from .jobs import JobQueue
from .rpc_errors import to_grpc

log = logging.getLogger(__name__)
# A streamed call with nothing new to say repeats its last progress this often, so a client can tell a
# busy daemon (a model loading, a long batch) from a frozen one.
HEARTBEAT_SECONDS = 2.0


async def abort_with(context: grpc.aio.ServicerContext, exc: BaseException) -> None:
    code, message, trailers = to_grpc(exc)
    if code == grpc.StatusCode.INTERNAL:
        log.exception("internal error while serving", exc_info=exc)
    context.set_trailing_metadata(trailers)
    await context.abort(code, message)


class ServiceBase:
    """State and helpers of the detection and model services (one servicer inherits both)."""

    def __init__(self, models: ResidentModels, jobs: JobQueue, address: str = ""):
        self.models = models
        self.jobs = jobs
        self.address = address
        self.started = time.time()
        self.executor = ThreadPoolExecutor(max_workers=jobs.max_running + 1, thread_name_prefix="avevents-job")
        # Checks and management calls that touch the disk or wait for a model lock run here, never on the
        # event loop (which must answer status at once) and never behind running jobs.
        self.admin_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="avevents-admin")
        self.job_log = JobLog()
        self.ready = threading.Event()  # set once the models preloaded at start are in memory

    async def _blocking(self, function, *args):
        """``function(*args)`` on the admin threads, awaited."""
        return await asyncio.get_running_loop().run_in_executor(self.admin_executor, partial(function, *args))

    async def _in_worker(self, work, cancel: threading.Event | None = None):
        """Run ``work(report)`` in a worker thread, yielding ``(False, update)`` for each ``report(update)``
        it makes and finally ``(True, its result)``. If the call is abandoned (client gone, shutdown),
        ``cancel`` is set and the worker is waited for before the cancellation goes on."""
        loop = asyncio.get_running_loop()
        updates: asyncio.Queue = asyncio.Queue()
        future = loop.run_in_executor(
            self.executor, lambda: work(lambda update: loop.call_soon_threadsafe(updates.put_nowait, update))
        )
        try:
            while True:
                getter = asyncio.ensure_future(updates.get())
                done, _ = await asyncio.wait(
                    {future, getter}, timeout=HEARTBEAT_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                if not done:  # nothing new (a model loading, a long batch): say the job is alive
                    getter.cancel()
                    yield False, None
                    continue
                if getter not in done:
                    getter.cancel()
                    break
                yield False, getter.result()
            result = future.result()
        except BaseException:
            if cancel is not None:
                cancel.set()
            # Keep the job's slot until the worker has really stopped (it checks ``cancel`` as it goes).
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(future), timeout=10)
            raise
        yield True, result
