"""ListJobs / CancelJob: what the tray's Jobs view shows and does, against a real daemon."""

from __future__ import annotations

import threading
import time

import pytest

from avevents.core.errors import Cancelled, UnknownJob
from avevents.core.results import DetectOptions

from ..conftest import start_daemon


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_jobs_are_listed_and_cancelled_from_another_client(long_clip, speech_wav):
    daemon = start_daemon("--jobs", "1", "--max-queue", "4")
    outcomes: dict[str, object] = {}

    def detect(name):
        with daemon.client() as client:
            try:
                # Scene cuts decode every frame of the four minutes: seconds of work to cancel in.
                outcomes[name] = client.detect(long_clip, DetectOptions(labels=("Speech", "Scene cut")))
            except Exception as exc:  # the outcome under test
                outcomes[name] = exc

    try:
        with daemon.client() as client:
            first = threading.Thread(target=detect, args=("first",))
            first.start()
            running = _wait_for(lambda: [j for j in client.list_jobs() if j.state == "running"])
            second = threading.Thread(target=detect, args=("second",))
            second.start()
            queued = _wait_for(lambda: [j for j in client.list_jobs() if j.state == "queued"])
            assert queued[0].media_path == str(long_clip) and queued[0].labels == ["Speech", "Scene cut"]
            assert client.cancel_job(running[0].id).state == "running"  # the running one, from this client
            first.join(20)
            assert isinstance(outcomes["first"], Cancelled)
            client.cancel_job(queued[0].id)  # queued or just started: either way it stops
            second.join(20)
            assert isinstance(outcomes["second"], Cancelled)
            done = client.detect(speech_wav.path, DetectOptions(labels=("Speech",)))
            jobs = client.list_jobs()
            assert [j.state for j in jobs[:3]] == ["done", "cancelled", "cancelled"]
            assert jobs[0].events == len(done.events) and jobs[0].fraction == 1.0
            assert "another client" in jobs[1].message or "cancel" in jobs[1].message
            assert all(j.finished_unix >= j.submitted_unix > 0 for j in jobs)
            assert client.cancel_job(jobs[0].id).state == "done"  # already over: nothing to do
            with pytest.raises(UnknownJob):
                client.cancel_job("job-999")
    finally:
        daemon.stop()


def test_a_stream_closed_at_a_yield_gives_its_slot_back(speech_clip):
    """gRPC may close a Detect stream at one of its yields (GeneratorExit) instead of cancelling its task:
    the job must still end, or every later request waits behind its slot forever."""
    import asyncio

    from avevents.daemon.jobs import JobQueue
    from avevents.daemon.server import AvEventsServicer
    from avevents.engine.residency import ResidentModels
    from avevents.proto.v1 import avevents_pb2 as pb

    async def scenario() -> tuple[int, str]:
        servicer = AvEventsServicer(ResidentModels(), JobQueue(1, 8))
        request = pb.DetectRequest(media_path=str(speech_clip.path))
        request.labels.extend(["Speech"])
        stream = servicer.Detect(request, context=None)
        async for message in stream:
            if message.HasField("progress") and message.progress.stage != "queued":
                break  # running: holds the only slot
        await stream.aclose()
        return servicer.jobs.running, servicer.job_log.jobs()[0].state

    running, state = asyncio.run(scenario())
    assert running == 0 and state == "cancelled"
