"""The detection service: Detect (queued, prepared once, run in a worker, progress streamed), and the
jobs it keeps (ListJobs, CancelJob)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from functools import partial

import grpc

from avevents.core.errors import Cancelled, InvalidRequest, UnknownJob
from avevents.engine import pipeline
from avevents.proto.v1 import avevents_pb2 as pb

from . import convert
from .job_log import FINISHED
from .service_base import HEARTBEAT_SECONDS, ServiceBase, abort_with

log = logging.getLogger(__name__)


class DetectionService(ServiceBase):
    """Detect, ListJobs and CancelJob."""

    async def Detect(self, request: pb.DetectRequest, context: grpc.aio.ServicerContext):
        cancel = threading.Event()
        record = None
        try:
            path, options = convert.request_from_pb(request)
            if not path:
                raise InvalidRequest("media_path is empty")
            # A place in the queue first (a full queue answers at once, before any file is opened), then
            # the checks (options, pack, labels, the media: pipeline.prepare, once), so that bad input
            # fails without waiting behind other jobs.
            ticket = self.jobs.enqueue()
            try:
                prepared = await self._blocking(pipeline.prepare, path, options, self.models)
            except BaseException:
                self.jobs.withdraw(ticket)
                raise
            record = self.job_log.add(path, options.pack, options.labels)
            cancel = record.cancel
            waiting = asyncio.ensure_future(self.jobs.acquire(ticket))
            reported, reported_at = -1, 0.0
            try:
                while not waiting.done():
                    if cancel.is_set():
                        raise Cancelled("the job was cancelled (from another client)")
                    position = self.jobs.position(ticket)
                    record.queue_position = position
                    if position != reported or time.monotonic() - reported_at >= HEARTBEAT_SECONDS:
                        reported, reported_at = position, time.monotonic()
                        yield pb.DetectResponse(
                            progress=pb.Progress(
                                stage="queued", queue_position=position, message="waiting for a free worker"
                            )
                        )
                    await asyncio.wait(
                        {waiting, asyncio.ensure_future(self.jobs.wait_for_change(0.5))},
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                waiting.result()
            except BaseException:
                waiting.cancel()
                if waiting.done() and not waiting.cancelled() and waiting.exception() is None:
                    await self.jobs.release(False)  # the slot was granted as the client left
                raise
            ok = False
            self.job_log.start(record)
            try:
                async for message in self._run(prepared, cancel):
                    if message.HasField("progress"):
                        record.stage, record.fraction = message.progress.stage, message.progress.fraction
                    else:
                        record.events = len(message.result.events)
                    yield message
                ok = True
                self.job_log.finish(record, "done", events=record.events)
            finally:
                await self.jobs.release(ok)
        except asyncio.CancelledError:
            cancel.set()
            if record is not None:
                self.job_log.finish(record, "cancelled", "the client went away or cancelled")
            log.info("Detect cancelled by the client: %s", request.media_path)
            raise
        except Exception as exc:
            if record is not None and record.state not in FINISHED:
                state = "cancelled" if isinstance(exc, Cancelled) else "failed"
                self.job_log.finish(record, state, str(exc))
            await abort_with(context, exc)

    async def _run(self, prepared: pipeline.PreparedAnalysis, cancel: threading.Event):
        detect = partial(pipeline.run, prepared, self.models, cancel)
        last = pb.Progress(stage="starting", message="starting the analysis")
        async for finished, value in self._in_worker(detect, cancel):
            if finished:
                yield pb.DetectResponse(result=convert.result_to_pb(value))
                continue
            if value is not None:
                last = convert.progress_to_pb(value)
            yield pb.DetectResponse(progress=last)  # a heartbeat repeats the last progress

    async def ListJobs(self, request, context):
        return pb.ListJobsResponse(jobs=[convert.job_to_pb(r) for r in self.job_log.jobs()])

    async def CancelJob(self, request, context):
        try:
            record = self.job_log.cancel(request.id)
            if record is None:
                finished = self.job_log.find(request.id)
                if finished is None:
                    raise UnknownJob(f"no job {request.id!r} (ListJobs shows the running and recent ones)")
                return convert.job_to_pb(finished)  # already over: nothing to cancel
            return convert.job_to_pb(record)
        except Exception as exc:
            await abort_with(context, exc)
