"""The gRPC daemon: keeps models resident and answers Detect and the management calls.

grpc.aio on a per-user Unix socket (0600) by default, or TCP with a per-user token. Analysis runs in
worker threads; the event loop only streams progress, queues requests and watches for cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import platform
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import grpc
import psutil
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from avevents.core.errors import AlreadyRunning, AvEventsError, Cancelled, InvalidRequest, ModelUnavailable, UnknownJob
from avevents.core.paths import (
    DaemonInfo,
    SingleInstanceLock,
    default_socket_path,
    read_or_create_token,
    unix_sockets_supported,
)
from avevents.engine import pipeline
from avevents.engine.detectors.registry import default_pack, resolve_labels
from avevents.engine.media.probe import probe
from avevents.engine.residency import ResidentModels
from avevents.proto.v1 import avevents_pb2 as pb
from avevents.proto.v1 import avevents_pb2_grpc as pb_grpc

from . import convert
from .job_log import FINISHED, JobLog
from .jobs import JobQueue
from .rpc_errors import to_grpc

log = logging.getLogger(__name__)
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AvEvents"].full_name
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# A streamed call with nothing new to say repeats its last progress this often, so a client can tell a
# busy daemon (a model loading, a long batch) from a frozen one.
HEARTBEAT_SECONDS = 2.0


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("avevents")
    except PackageNotFoundError:
        return "0+unknown"


@dataclass
class ServeConfig:
    socket_path: Path | None = None  # default per-user socket when neither this nor tcp is given
    tcp: str | None = None  # "host:port" (port 0: any free port)
    allow_remote: bool = False  # permit a non-loopback host (always with the token)
    max_running: int = 1
    max_queued: int = 8
    shutdown_grace: float = 5.0
    preload: bool = True  # load the default pack's models at start


async def _abort(context: grpc.aio.ServicerContext, exc: BaseException) -> None:
    code, message, trailers = to_grpc(exc)
    if code == grpc.StatusCode.INTERNAL:
        log.exception("internal error while serving", exc_info=exc)
    context.set_trailing_metadata(trailers)
    await context.abort(code, message)


class AvEventsServicer(pb_grpc.AvEventsServicer):
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

    async def Detect(self, request: pb.DetectRequest, context: grpc.aio.ServicerContext):
        cancel = threading.Event()
        record = None
        try:
            path, options = convert.request_from_pb(request)
            if not path:
                raise InvalidRequest("media_path is empty")
            options.validate()
            # A place in the queue first (a full queue answers at once, before any file is opened), then
            # the checks that read the store and the media, so that bad input fails without waiting
            # behind other jobs.
            ticket = self.jobs.enqueue()
            try:
                await self._blocking(resolve_labels, options.pack, options.labels)
                info = await self._blocking(probe, path, options.audio_stream)
                pipeline.analysed_range(info, options.source_range)
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
                async for message in self._run(path, options, cancel):
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
            await _abort(context, exc)

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

    async def _run(self, path: str, options, cancel: threading.Event):
        detect = partial(pipeline.detect, path, options, self.models, cancel)
        last = pb.Progress(stage="starting", message="starting the analysis")
        async for finished, value in self._in_worker(detect, cancel):
            if finished:
                yield pb.DetectResponse(result=convert.result_to_pb(value))
                continue
            if value is not None:
                last = convert.progress_to_pb(value)
            yield pb.DetectResponse(progress=last)  # a heartbeat repeats the last progress

    async def GetStatus(self, request, context):
        return pb.Status(
            version=version(),
            pid=os.getpid(),
            address=self.address,
            uptime_seconds=time.time() - self.started,
            running_jobs=self.jobs.running,
            queued_jobs=self.jobs.queued,
            max_queued_jobs=self.jobs.max_queued,
            max_running_jobs=self.jobs.max_running,
            loaded_models=[convert.model_to_pb(s) for s in self.models.loaded()],
            completed_jobs=self.jobs.completed,
            failed_jobs=self.jobs.failed,
            rss_bytes=psutil.Process().memory_info().rss,
            ready=self.ready.is_set(),
            loading_models=self.models.loading(),
        )

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
            await _abort(context, exc)

    async def ListModels(self, request, context):
        try:
            pack = await self._blocking(default_pack)
            models = await self._blocking(lambda: [convert.model_to_pb(s) for s in self.models.states()])
            return pb.ListModelsResponse(models=models, default_pack=pack)
        except Exception as exc:
            await _abort(context, exc)

    async def LoadModel(self, request, context):
        try:
            state = await self._blocking(self.models.load, request.name, request.device)
            return convert.model_to_pb(state)
        except Exception as exc:
            await _abort(context, exc)

    async def UnloadModel(self, request, context):
        try:
            return convert.model_to_pb(await self._blocking(self.models.unload, request.name))
        except Exception as exc:
            await _abort(context, exc)

    async def ListDevices(self, request, context):
        return pb.ListDevicesResponse(devices=await self._blocking(list_devices, self.models.default_device))

    def _pack_info(self, name: str) -> pb.ModelInfo:
        """A store pack's state: the resident model's when it is one, else the catalog's facts."""
        from avevents.models.catalog import PACKS
        from avevents.models.store import ModelStore

        self.models.refresh_store()
        if name in {s.entry.name for s in self.models.states()}:
            return convert.model_to_pb(self.models.state(name))
        spec = PACKS.get(name)
        if spec is None:  # a local pack, just removed
            return pb.ModelInfo(name=name, pack="store", available=False, detail="removed (a pack made here)")
        pack = ModelStore().installed(name)
        return pb.ModelInfo(
            name=name,
            version=spec.version,
            pack="store",
            task=spec.task,
            available=pack is not None,
            source=spec.source,
            licence=spec.licence,
            detail=str(pack.path) if pack else "",
        )

    async def PullModel(self, request, context):
        from avevents.models.store import ModelStore

        cancel = threading.Event()

        def pull(report) -> None:
            last = [0.0]

            def on_progress(name: str, done: int, total: int) -> None:
                now = time.monotonic()
                if now - last[0] >= 0.1 or (total and done >= total):  # at most ten updates a second
                    last[0] = now
                    report(pb.PullProgress(file=name, bytes_done=done, bytes_total=total))

            ModelStore().pull(request.name, on_progress, cancel)  # a cancelled pull's .part file resumes later

        try:
            async for finished, value in self._in_worker(pull, cancel):
                if finished:
                    yield pb.PullModelResponse(model=await self._blocking(self._pack_info, request.name))
                elif value is not None:
                    yield pb.PullModelResponse(progress=value)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await _abort(context, exc)

    async def ImportModel(self, request, context):
        from pathlib import Path as _Path

        from avevents.models.store import ModelStore

        try:
            await self._blocking(lambda: ModelStore().import_files(request.name, [_Path(p) for p in request.paths]))
            return await self._blocking(self._pack_info, request.name)
        except Exception as exc:
            await _abort(context, exc)

    async def RemoveModel(self, request, context):
        from avevents.models.store import ModelStore

        def remove() -> pb.ModelInfo:
            if request.name in {s.entry.name for s in self.models.states()}:
                self.models.unload(request.name)
            if not ModelStore().remove(request.name):
                raise ModelUnavailable(f"{request.name} is not installed")
            return self._pack_info(request.name)

        try:
            return await self._blocking(remove)
        except Exception as exc:
            await _abort(context, exc)

    async def BuildEngine(self, request, context):
        from avevents.models.build import build

        try:
            if request.precision not in ("", "fp16", "fp32"):
                raise InvalidRequest(f"precision must be fp16 or fp32, got {request.precision!r}")
            work = partial(build, request.name, request.device or "cuda:0", request.precision or "fp16")
            async for finished, value in self._in_worker(work):
                if not finished:
                    if value is not None:
                        yield pb.BuildEngineResponse(progress=value)
                    continue
                yield pb.BuildEngineResponse(
                    result=pb.BuildEngineResult(
                        onnx_path=str(value.onnx), engine_path=str(value.engine or ""), reason=value.reason
                    )
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await _abort(context, exc)

    async def SetDevice(self, request, context):
        try:
            if request.model:
                await self._blocking(self.models.set_model_device, request.model, request.device)
            else:
                await self._blocking(self.models.set_default_device, request.device)
            return pb.SetDeviceResponse(
                default_device=self.models.default_device, models=[convert.model_to_pb(s) for s in self.models.states()]
            )
        except Exception as exc:
            await _abort(context, exc)


def list_devices(default_device: str) -> list[pb.Device]:
    """The CPU and every CUDA device torch can see, with memory figures."""
    vm = psutil.virtual_memory()
    devices = [
        pb.Device(
            name="cpu",
            kind="cpu",
            description=f"{platform.processor() or platform.machine()}, {psutil.cpu_count(logical=True)} threads",
            total_memory_bytes=vm.total,
            free_memory_bytes=vm.available,
            is_default=default_device == "cpu",
        )
    ]
    try:
        import torch

        if torch.cuda.is_available():
            for i in range(torch.cuda.device_count()):
                free, total = torch.cuda.mem_get_info(i)
                name = f"cuda:{i}"
                devices.append(
                    pb.Device(
                        name=name,
                        kind="cuda",
                        description=torch.cuda.get_device_name(i),
                        total_memory_bytes=total,
                        free_memory_bytes=free,
                        is_default=default_device == name,
                    )
                )
    except Exception as exc:
        log.warning("CUDA devices could not be listed: %s", exc)
    return devices


class TokenInterceptor(grpc.aio.ServerInterceptor):
    """Requires ``authorization: Bearer <token>`` on every call except health checks."""

    def __init__(self, token: str):
        self._expected = f"Bearer {token}".encode()

    async def intercept_service(self, continuation, details):
        handler = await continuation(details)
        if details.method.startswith("/grpc.health.v1.Health/") or handler is None:
            return handler
        given = dict(details.invocation_metadata or ()).get("authorization", "")
        if hmac.compare_digest(given.encode(), self._expected):
            return handler

        async def deny_unary(request, context):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "a valid avevents token is required")

        async def deny_stream(request, context):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "a valid avevents token is required")
            yield  # pragma: no cover - makes this an async generator

        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                deny_stream, handler.request_deserializer, handler.response_serializer
            )
        return grpc.unary_unary_rpc_method_handler(
            deny_unary, handler.request_deserializer, handler.response_serializer
        )


class Daemon:
    """A running server plus its lock, discovery file and shutdown handling."""

    def __init__(self, config: ServeConfig):
        self.config = config
        self.lock = SingleInstanceLock()
        self.server: grpc.aio.Server | None = None
        self.health = health.aio.HealthServicer() if hasattr(health, "aio") else health.HealthServicer()
        self.address = ""
        self.socket_path: Path | None = None
        self._stopping: asyncio.Event | None = None

    def _bind_address(self) -> tuple[str, bool]:
        """(address to bind, whether a token is required), once it is known that it can be bound.

        TCP is ``[HOST:]PORT``: HOST defaults to 127.0.0.1, an IPv6 one goes in brackets (``[::1]:50051``;
        a bare ``::1:50051`` is ambiguous and refused); PORT is 1-65535, or 0 for any free port. A socket
        path must be a socket (one a crashed daemon left) or nothing yet, in an existing folder.

        :raises InvalidRequest: an address that cannot be meant.
        :raises AvEventsError: one that cannot be bound now (the port in use, no such host), in words.
        """
        import errno
        import ipaddress
        import socket
        import stat

        tcp = self.config.tcp
        if tcp is None and self.config.socket_path is None and not unix_sockets_supported():
            tcp = "127.0.0.1:0"  # Windows: loopback TCP with the per-user token
        if tcp:
            host, _, port = tcp.strip().rpartition(":")
            host = host or "127.0.0.1"
            ipv6 = host[1:-1] if host.startswith("[") and host.endswith("]") else None
            if ipv6 is None and any(c in host for c in ":[]"):
                example = f"[{host.strip('[]')}]:{port}"
                raise InvalidRequest(f"--tcp {tcp} is ambiguous: put an IPv6 host in brackets, e.g. {example}")
            try:
                if ipv6 is not None and ipaddress.ip_address(ipv6).version != 6:
                    raise ValueError(ipv6)
            except ValueError:
                raise InvalidRequest(f"--tcp {tcp}: {host} is not an IPv6 address in brackets") from None
            # isdigit alone admits "８０" and int() "8_0"; 0 is documented: any free port.
            if not (port.isascii() and port.isdigit() and int(port) <= 65535):
                raise InvalidRequest(f"--tcp {tcp}: the port must be 1-65535 (or 0: any free port), got {port!r}")
            if host not in LOOPBACK_HOSTS and not self.config.allow_remote:
                raise InvalidRequest(
                    f"refusing to listen on {host}: only loopback is allowed unless --allow-remote is given"
                )
            try:
                # A probe says why a bind fails, where gRPC only says that it failed.
                family = socket.AF_INET6 if ipv6 is not None else socket.AF_INET
                socket.create_server((ipv6 or host, int(port)), family=family).close()
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise AvEventsError(f"port {int(port)} on {host} is already in use: choose another --tcp") from None
                raise AvEventsError(f"cannot listen on {host}:{int(port)}: {exc.strerror or exc}") from None
            return f"{host}:{int(port)}", True
        path = Path(self.config.socket_path) if self.config.socket_path else default_socket_path()
        try:
            mode = path.lstat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            mode = None
        if mode is not None and not stat.S_ISSOCK(mode):
            # Only a socket is removed to make room (a crashed daemon's): never a file the user keeps there.
            what = "a folder" if stat.S_ISDIR(mode) else "a file"
            raise InvalidRequest(f"--socket {path} is {what}, not a socket: give a path for the daemon to create")
        if not path.parent.is_dir():
            raise InvalidRequest(f"--socket {path}: there is no folder {path.parent}")
        self.socket_path = path
        return f"unix://{path.resolve()}", False

    async def start(self) -> str:
        if not self.lock.acquire():
            running = DaemonInfo.read()
            where = f" (pid {running.pid}, {running.address})" if running else ""
            raise AlreadyRunning(f"an avevents daemon is already running for this user{where}")
        try:
            return await self._start_locked()
        except BaseException:
            self.lock.release()
            raise

    async def _start_locked(self) -> str:
        bind, token_required = self._bind_address()
        interceptors = [TokenInterceptor(read_or_create_token())] if token_required else []
        models = ResidentModels()
        if self.config.preload:
            models.import_runtimes()  # clients wait for the lock meanwhile (DaemonClient.connect)
        jobs = JobQueue(self.config.max_running, self.config.max_queued)
        # No SO_REUSEPORT (gRPC's default): a second daemon must fail to bind a port in use, not share it.
        self.server = grpc.aio.server(interceptors=interceptors, options=[("grpc.so_reuseport", 0)])
        servicer = AvEventsServicer(models, jobs)
        pb_grpc.add_AvEventsServicer_to_server(servicer, self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
            self.server,
        )
        if self.socket_path is not None:
            # The lock is ours, so a socket file left here is from a crashed daemon.
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()
            old_umask = os.umask(0o177)
            try:
                self.server.add_insecure_port(bind)
            except RuntimeError:  # gRPC's only word for a failed bind (a path too long, rights...)
                raise AvEventsError(f"could not listen on {bind}") from None
            finally:
                os.umask(old_umask)
            self.address = bind
        else:
            try:
                port = self.server.add_insecure_port(bind)
            except RuntimeError:  # taken since the probe in _bind_address
                port = 0
            if port == 0:
                raise AvEventsError(f"could not listen on {bind}")
            host = bind.rpartition(":")[0]
            self.address = f"{host}:{port}"
        servicer.address = self.address
        await self.server.start()
        if self.socket_path is not None:
            os.chmod(self.socket_path, 0o600)
        await self._set_serving(True)
        DaemonInfo(self.address, os.getpid(), version(), token_required).write()
        log.info("avevents %s serving on %s (pid %d)", version(), self.address, os.getpid())
        # Models load after the server answers: status says "not ready, loading X" meanwhile, and a
        # Detect that needs X waits for this load (residency's per-model lock) rather than failing over.
        threading.Thread(target=self._preload, args=(models, servicer), name="avevents-preload", daemon=True).start()
        return self.address

    def _preload(self, models: ResidentModels, servicer: AvEventsServicer) -> None:
        try:
            if self.config.preload:
                for state in models.states():
                    if state.entry.resident and state.available:
                        try:
                            models.load(state.entry.name)
                        except AvEventsError as exc:
                            log.warning("could not preload %s: %s", state.entry.name, exc)
        finally:
            servicer.ready.set()
            log.info("ready: %d model(s) in memory", len(models.loaded()))

    async def _set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", SERVICE_NAME):
            result = self.health.set(name, status)
            if asyncio.iscoroutine(result):
                await result

    async def stop(self) -> None:
        """Stop taking calls, give running jobs ``shutdown_grace`` seconds, then cancel them."""
        if self.server is None:
            return
        log.info("shutting down (grace %.1f s)", self.config.shutdown_grace)
        await self._set_serving(False)
        await self.server.stop(self.config.shutdown_grace)
        self.server = None
        DaemonInfo.remove()
        if self.socket_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()
        self.lock.release()
        log.info("stopped")

    async def serve_forever(self) -> None:
        """Start, then run until SIGTERM/SIGINT."""
        await self.start()
        self._stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._stopping.set)
        try:
            await self._stopping.wait()
        finally:
            await self.stop()
