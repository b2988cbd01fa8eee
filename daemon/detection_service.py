"""The detection service: Detect (queued, prepared once, run in a worker, progress streamed), and the
jobs it keeps (ListJobs, CancelJob)."""

from __future__ import annotations

import asyncio
import logging
import threading
from functools import partial

import grpc

from avevents.core.errors import Cancelled, InvalidRequest, UnknownJob
from avevents.engine import pipeline
from avevents.proto.v1 import avevents_pb2 as pb

from . import convert
from .jobs import Job
from .service_base import HEARTBEAT_SECONDS, ServiceBase, abort_with

log = logging.getLogger(__name__)


class DetectionService(ServiceBase):
    """Detect, ListJobs and CancelJob."""

    async def Detect(self, request: pb.DetectRequest, context: grpc.aio.ServicerContext):
        job: Job | None = None
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
            job = Job(self.jobs, ticket, self.job_log, self.job_log.add(path, options.pack, options.labels), prepared)
            async for position in job.turns(HEARTBEAT_SECONDS):
                yield pb.DetectResponse(
                    progress=pb.Progress(stage="queued", queue_position=position, message="waiting for a free worker")
                )
            events = 0
            async for message in self._run(job.prepared, job.cancel):
                if message.HasField("progress"):
                    job.progressed(message.progress.stage, message.progress.fraction)
                else:
                    events = len(message.result.events)
                yield message
            await job.end("done", events=events)
        except asyncio.CancelledError:
            if job is not None:
                await job.end("cancelled", "the client went away or cancelled")
            log.info("Detect cancelled by the client: %s", request.media_path)
            raise
        except Exception as exc:
            if job is not None:
                await job.end("cancelled" if isinstance(exc, Cancelled) else "failed", str(exc))
            await abort_with(context, exc)
        except BaseException:
            # GeneratorExit: gRPC closed the stream at a yield (the client went away). The job must still
            # end, or its running slot stays taken and every later request waits behind it.
            if job is not None:
                await job.end("cancelled", "the client went away")
            raise

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
