"""A synchronous client of the avevents daemon, used by the CLI and the editor integrations.

Errors come back as the same ``AvEventsError`` subclasses the daemon raised, so callers handle one
exception tree whether detection ran here or in the daemon.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from avevents.proto.v1 import avevents_pb2 as pb
from avevents.proto.v1 import avevents_pb2_grpc as pb_grpc

from . import convert
from .errors import AvEventsError, DaemonUnavailable, from_rpc_error
from .paths import DaemonInfo, read_token
from .pipeline import ProgressUpdate
from .results import DetectOptions, DetectResult

log = logging.getLogger(__name__)


class DaemonClient:
    """Connection to one daemon; create with ``connect()`` (discovery) or an explicit address."""

    def __init__(self, address: str, token: str | None = None, pid: int | None = None):
        self.address = address
        self.pid = pid
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
    def connect(cls, address: str | None = None, timeout: float = 1.0) -> DaemonClient:
        """The daemon at ``address``, or the one this user's discovery file names; raises
        DaemonUnavailable when none answers within ``timeout`` seconds."""
        info = DaemonInfo.read()
        if address is None:
            if info is None:
                raise DaemonUnavailable("the avevents daemon is not running (start it with: avevents serve)")
            address = info.address
        token = os.environ.get("AVEVENTS_TOKEN") or read_token()
        client = cls(address, token, info.pid if info and info.address == address else None)
        if not client.healthy(timeout):
            client.close()
            raise DaemonUnavailable(f"the avevents daemon at {address} does not answer")
        return client

    def healthy(self, timeout: float = 1.0) -> bool:
        ready = grpc.channel_ready_future(self._channel)
        try:
            ready.result(timeout=timeout)
            reply = health_pb2_grpc.HealthStub(self._channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout
            )
            return reply.status == health_pb2.HealthCheckResponse.SERVING
        except (grpc.FutureTimeoutError, grpc.RpcError):
            ready.cancel()
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
        try:
            for message in call:
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
            raise from_rpc_error(err) from None
        finally:
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

    def status(self) -> pb.Status:
        return self._call(self._stub.GetStatus, pb.GetStatusRequest())

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
