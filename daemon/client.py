"""A synchronous client of the avevents daemon, used by the CLI and the editor integrations.

Errors come back as the same ``AvEventsError`` subclasses the daemon raised, so callers handle one
exception tree whether detection ran here or in the daemon.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import psutil
from grpc_health.v1 import health_pb2, health_pb2_grpc

from avevents.core.errors import AvEventsError, DaemonUnavailable
from avevents.core.paths import DaemonInfo, SingleInstanceLock, read_token
from avevents.core.results import DetectOptions, DetectResult, ProgressUpdate
from avevents.core.settings import Settings
from avevents.proto.v1 import avevents_pb2 as pb
from avevents.proto.v1 import avevents_pb2_grpc as pb_grpc

from . import convert
from .rpc_errors import from_rpc_error

log = logging.getLogger(__name__)


# A streamed call that sends nothing for this long is taken for a frozen daemon (the daemon repeats its
# progress every couple of seconds while a job waits, loads or works).
STALL_SECONDS = 30.0


def _process_alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.Error:
        return False


class _StallWatchdog:
    """Cancels a streamed call that receives nothing for ``limit`` seconds."""

    def __init__(self, call, limit: float):
        self.fired = False
        self._call, self._limit = call, limit
        self._last = time.monotonic()
        self._done = threading.Event()
        if limit > 0:
            threading.Thread(target=self._watch, name="avevents-stall-watchdog", daemon=True).start()

    def touch(self) -> None:
        self._last = time.monotonic()

    def stop(self) -> None:
        self._done.set()

    def _watch(self) -> None:
        while not self._done.wait(min(1.0, self._limit)):
            if time.monotonic() - self._last > self._limit:
                self.fired = True
                self._call.cancel()
                return


class DaemonClient:
    """Connection to one daemon; create with ``connect()`` (discovery) or an explicit address."""

    def __init__(
        self, address: str, token: str | None = None, pid: int | None = None, stall_timeout: float = STALL_SECONDS
    ):
        self.address = address
        self.pid = pid
        self.stall_timeout = stall_timeout
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._channel = grpc.insecure_channel(address)
        self._stub = pb_grpc.AvEventsStub(self._channel)
        # Streaming calls in flight (a batch may run several detections at once); cancel() ends them all.
        self._active_calls: set = set()
        self._calls_lock = threading.Lock()

    def _track(self, call, active: bool) -> None:
        with self._calls_lock:
            (self._active_calls.add if active else self._active_calls.discard)(call)

    @classmethod
    def connect(
        cls, address: str | None = None, timeout: float = 1.0, start_wait: float = 30.0, token: str | None = None
    ) -> DaemonClient:
        """The daemon at ``address``, or the one this user's discovery file names. ``token`` (a TCP
        daemon's): None takes the settings' (``AVEVENTS_TOKEN``), else this user's token file.

        A daemon that is starting (its lock held, no discovery file yet, or its process alive but not
        answering yet) is waited for, up to ``start_wait`` seconds, instead of being taken for absent.
        Raises DaemonUnavailable when none runs, or when one runs but does not answer in time."""
        info = DaemonInfo.read()
        deadline = time.monotonic() + start_wait
        if address is None and info is None and SingleInstanceLock().is_held():
            log.info("the avevents daemon is starting; waiting for it (up to %.0f s)", start_wait)
            while info is None and time.monotonic() < deadline:
                time.sleep(0.1)
                info = DaemonInfo.read()
        if address is None:
            if info is None:
                raise DaemonUnavailable("the avevents daemon is not running (start it with: avevents serve)")
            address = info.address
        if token is None:
            token = Settings.from_environment().token or read_token()
        pid = info.pid if info and info.address == address else None
        client = cls(address, token, pid)
        while not client.healthy(timeout):
            if pid is None or not _process_alive(pid) or time.monotonic() >= deadline:
                client.close()
                why = "does not answer" if pid is None or not _process_alive(pid) else f"(pid {pid}) does not answer"
                raise DaemonUnavailable(
                    f"the avevents daemon at {address} {why}"
                    + (f" after {start_wait:.0f} s; it may be frozen: `kill {pid}` stops it" if pid else "")
                )
            log.info("the avevents daemon (pid %d) is not answering yet; waiting", pid)
        return client

    def healthy(self, timeout: float = 1.0) -> bool:
        # wait_for_ready, not channel_ready_future: the future's polling thread outlives it and prints
        # "Channel closed!" tracebacks once the channel is closed (grpc/grpc#18995).
        try:
            reply = health_pb2_grpc.HealthStub(self._channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout, wait_for_ready=True
            )
            return reply.status == health_pb2.HealthCheckResponse.SERVING
        except grpc.RpcError:
            return False

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> DaemonClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, method, request, timeout: float | None = 30.0):
        try:
            return method(request, metadata=self._metadata, timeout=timeout)
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None

    def detect(
        self,
        path: str | os.PathLike,
        options: DetectOptions | None = None,
        on_progress: Callable[[ProgressUpdate], None] | None = None,
        timeout: float | None = None,
    ) -> DetectResult:
        """Analyse a local file in the daemon; ``on_progress`` sees each streamed update."""
        request = convert.request_to_pb(str(Path(path).expanduser().absolute()), options or DetectOptions())
        call = self._stub.Detect(request, metadata=self._metadata, timeout=timeout)
        self._track(call, True)
        result = None
        watchdog = _StallWatchdog(call, self.stall_timeout)
        try:
            for message in call:
                watchdog.touch()
                if message.HasField("progress"):
                    p = message.progress
                    if on_progress is not None:
                        on_progress(
                            ProgressUpdate(
                                p.stage,
                                p.fraction,
                                p.media_seconds_done,
                                p.media_seconds_total,
                                p.message or (f"{p.queue_position} job(s) ahead" if p.stage == "queued" else ""),
                            )
                        )
                else:
                    result = convert.result_from_pb(message.result)
        except grpc.RpcError as err:
            if watchdog.fired:
                raise DaemonUnavailable(
                    f"the avevents daemon at {self.address} sent nothing for {self.stall_timeout:.0f} s "
                    "(it repeats its progress every few seconds while it works): it may be frozen"
                ) from None
            raise from_rpc_error(err) from None
        finally:
            watchdog.stop()
            self._track(call, False)
        if result is None:
            raise AvEventsError("the daemon closed the stream without a result")
        return result

    def cancel(self) -> None:
        """Cancel the detections (and pull) in progress, from another thread."""
        with self._calls_lock:
            calls = list(self._active_calls)
        for call in calls:
            call.cancel()

    def status(self, timeout: float = 5.0) -> pb.Status:
        """The daemon's state (answered at once, even while it loads models)."""
        return self._call(self._stub.GetStatus, pb.GetStatusRequest(), timeout=timeout)

    def list_jobs(self) -> list[pb.Job]:
        """Running and queued jobs (oldest first), then recent finished ones (newest first)."""
        return list(self._call(self._stub.ListJobs, pb.ListJobsRequest()).jobs)

    def cancel_job(self, job_id: str) -> pb.Job:
        """Stop a queued or running job, whoever sent it."""
        return self._call(self._stub.CancelJob, pb.CancelJobRequest(id=job_id))

    def list_models(self) -> pb.ListModelsResponse:
        return self._call(self._stub.ListModels, pb.ListModelsRequest())

    def load_model(self, name: str, device: str = "") -> pb.ModelInfo:
        return self._call(self._stub.LoadModel, pb.LoadModelRequest(name=name, device=device), timeout=300)

    def unload_model(self, name: str) -> pb.ModelInfo:
        return self._call(self._stub.UnloadModel, pb.UnloadModelRequest(name=name))

    def pull_model(self, name: str, on_progress: Callable[[str, int, int], None] | None = None) -> pb.ModelInfo:
        """Download a pack in the daemon; ``on_progress(file, bytes_done, bytes_total)`` per update."""
        call = self._stub.PullModel(pb.PullModelRequest(name=name), metadata=self._metadata)
        self._track(call, True)
        try:
            for message in call:
                if message.HasField("progress"):
                    if on_progress is not None:
                        p = message.progress
                        on_progress(p.file, p.bytes_done, p.bytes_total)
                else:
                    return message.model
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None
        finally:
            self._track(call, False)
        raise AvEventsError("the daemon closed the pull without a result")

    def import_model(self, name: str, paths: list[str]) -> pb.ModelInfo:
        request = pb.ImportModelRequest(name=name, paths=[str(Path(p).absolute()) for p in paths])
        return self._call(self._stub.ImportModel, request, timeout=300)

    def remove_model(self, name: str) -> pb.ModelInfo:
        return self._call(self._stub.RemoveModel, pb.RemoveModelRequest(name=name))

    def build_engine(
        self, name: str, device: str = "", precision: str = "", on_progress: Callable[[str], None] | None = None
    ) -> pb.BuildEngineResult:
        """ONNX export and TensorRT engine of a pack in the daemon; ``on_progress`` sees each stage."""
        request = pb.BuildEngineRequest(name=name, device=device, precision=precision)
        try:
            for message in self._stub.BuildEngine(request, metadata=self._metadata):
                if message.HasField("result"):
                    return message.result
                if on_progress is not None:
                    on_progress(message.progress)
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None
        raise AvEventsError("the daemon closed the build without a result")

    def set_device(self, device: str, model: str = "") -> pb.SetDeviceResponse:
        return self._call(self._stub.SetDevice, pb.SetDeviceRequest(device=device, model=model), timeout=300)

    def list_devices(self) -> pb.ListDevicesResponse:
        return self._call(self._stub.ListDevices, pb.ListDevicesRequest())
