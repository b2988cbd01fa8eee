"""The gRPC daemon: keeps models resident and answers Detect and the management calls.

grpc.aio on a per-user Unix socket (0600) by default, or TCP with a per-user token behind a front that
limits each peer's connections (connection_limits.py). Analysis runs in worker threads; the event loop
only streams progress, queues requests and watches for cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
import psutil
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from avevents.core.errors import AlreadyRunning, AvEventsError, InvalidRequest
from avevents.core.paths import (
    MAX_UNIX_PATH,
    DaemonInfo,
    SingleInstanceLock,
    default_socket_path,
    read_or_create_token,
    runtime_dir,
    unix_sockets_supported,
)
from avevents.core.settings import Settings
from avevents.engine.residency import ResidentModels
from avevents.proto.v1 import avevents_pb2 as pb
from avevents.proto.v1 import avevents_pb2_grpc as pb_grpc

from . import connection_limits, convert
from .detection_service import DetectionService
from .jobs import JobQueue
from .model_service import ModelService

log = logging.getLogger(__name__)
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AvEvents"].full_name
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# In TCP mode the gRPC server listens here (0600, in the private runtime folder) behind the front that
# limits connections per peer (connection_limits.py); clients only ever see the TCP address.
INNER_SOCKET_NAME = "tcp-inner.sock"
# A TCP connection that never starts HTTP/2 is dropped by gRPC after this long (its default is 120 s).
HANDSHAKE_TIMEOUT_SECONDS = 20.0


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
    # TCP mode only: open connections allowed to one peer (a local user, else an address) and to all
    # together, beyond which a connection is closed at once; and how long a connection without calls
    # stays open (clients reconnect by themselves when they next call).
    tcp_max_per_peer: int = connection_limits.DEFAULT_PER_PEER
    tcp_max_total: int = connection_limits.DEFAULT_TOTAL
    tcp_idle_seconds: float = 300.0
    tcp_peer_key: Callable[[tuple, tuple], str] | None = None  # who counts as one peer (default: by uid)


class AvEventsServicer(DetectionService, ModelService, pb_grpc.AvEventsServicer):
    """The one gRPC service of the contract, made of the detection and model services, and status."""

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

    def __init__(self, config: ServeConfig, settings: Settings | None = None):
        """:param settings: how models run, the store and the cache (``avevents serve``: the environment's
        with its flags laid over); None: ``Settings.from_environment()``."""
        self.config = config
        self.settings = settings if settings is not None else Settings.from_environment()
        self.lock = SingleInstanceLock()
        self.server: grpc.aio.Server | None = None
        self.health = health.aio.HealthServicer() if hasattr(health, "aio") else health.HealthServicer()
        self.address = ""
        self.socket_path: Path | None = None
        self.front: connection_limits.ConnectionFront | None = None  # TCP mode's per-peer limits
        self._inner_socket: Path | None = None
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
        connection_limits.raise_open_file_limit()
        bind, token_required = self._bind_address()
        interceptors = [TokenInterceptor(read_or_create_token())] if token_required else []
        models = ResidentModels(settings=self.settings)
        if self.config.preload:
            models.import_runtimes()  # clients wait for the lock meanwhile (DaemonClient.connect)
        jobs = JobQueue(self.config.max_running, self.config.max_queued)
        # No SO_REUSEPORT (gRPC's default): a second daemon must fail to bind a port in use, not share it.
        options: list[tuple[str, int]] = [("grpc.so_reuseport", 0)]
        if self.socket_path is None:
            # Over TCP, connections nobody uses are closed (the front then closes the client's side), so
            # a peer's idle ones do not hold its share of the limit for ever.
            options += [
                ("grpc.max_connection_idle_ms", int(self.config.tcp_idle_seconds * 1000)),
                ("grpc.server_handshake_timeout_ms", int(HANDSHAKE_TIMEOUT_SECONDS * 1000)),
            ]
        self.server = grpc.aio.server(interceptors=interceptors, options=options)
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
            upstream = self._listen_privately()
        await self.server.start()
        if self.socket_path is not None:
            os.chmod(self.socket_path, 0o600)
        else:
            try:
                await self._start_front(bind, upstream)
            except BaseException:
                await self.server.stop(0)
                self.server = None
                self._remove_inner_socket()
                raise
        servicer.address = self.address
        await self._set_serving(True)
        DaemonInfo(self.address, os.getpid(), version(), token_required).write()
        log.info("avevents %s serving on %s (pid %d)", version(), self.address, os.getpid())
        # Models load after the server answers: status says "not ready, loading X" meanwhile, and a
        # Detect that needs X waits for this load (residency's per-model lock) rather than failing over.
        threading.Thread(target=self._preload, args=(models, servicer), name="avevents-preload", daemon=True).start()
        return self.address

    def _listen_privately(self) -> Path | tuple[str, int]:
        """TCP mode: bind the gRPC server where only the front reaches it; the front's upstream."""
        path = runtime_dir() / INNER_SOCKET_NAME
        if unix_sockets_supported() and len(str(path)) <= MAX_UNIX_PATH:
            with contextlib.suppress(FileNotFoundError):  # a crashed daemon's (the lock is ours)
                path.unlink()
            old_umask = os.umask(0o177)
            try:
                self.server.add_insecure_port(f"unix://{path}")
            except RuntimeError:
                raise AvEventsError(f"could not listen on unix://{path}") from None
            finally:
                os.umask(old_umask)
            self._inner_socket = path
            return path
        # No Unix sockets (Windows): an ephemeral loopback port, still behind the token.
        try:
            port = self.server.add_insecure_port("127.0.0.1:0")
        except RuntimeError:
            port = 0
        if port == 0:
            raise AvEventsError("could not listen on a loopback port for the TCP front")
        return ("127.0.0.1", port)

    async def _start_front(self, bind: str, upstream: Path | tuple[str, int]) -> None:
        if self._inner_socket is not None:
            os.chmod(self._inner_socket, 0o600)
        front = connection_limits.ConnectionFront(
            upstream,
            self.config.tcp_max_per_peer,
            self.config.tcp_max_total,
            self.config.tcp_peer_key or connection_limits.peer_key,
        )
        host, _, port = bind.rpartition(":")
        try:
            bound = await front.start(host, int(port))
        except OSError as exc:  # taken since the probe in _bind_address
            raise AvEventsError(f"could not listen on {bind}: {exc.strerror or exc}") from None
        self.front = front
        self.address = f"{host}:{bound}"

    def _remove_inner_socket(self) -> None:
        if self._inner_socket is not None:
            with contextlib.suppress(FileNotFoundError):
                self._inner_socket.unlink()
            self._inner_socket = None

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
        if self.front is not None:
            await self.front.stop_accepting()  # calls under way keep their connections for the grace
        await self.server.stop(self.config.shutdown_grace)
        self.server = None
        if self.front is not None:
            await self.front.close()
            self.front = None
        self._remove_inner_socket()
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
