"""The daemon's real servicer on a real gRPC socket, served from a thread of the test process.

Tests that need to hold a model load or inspect the servicer's state use this instead of a daemon
subprocess; everything between the client and the servicer is the product's own code.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc

from avevents.daemon.client import DaemonClient
from avevents.daemon.jobs import JobQueue
from avevents.daemon.server import AvEventsServicer
from avevents.engine.residency import ResidentModels
from avevents.proto.v1 import avevents_pb2_grpc as pb_grpc


@contextmanager
def serving(
    models: ResidentModels, socket_path: Path, max_running: int = 1, max_queued: int = 8
) -> Iterator[AvEventsServicer]:
    """Serve ``models`` on ``unix://socket_path`` until the block ends."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    box: dict = {}

    async def main() -> None:
        server = grpc.aio.server()
        servicer = AvEventsServicer(models, JobQueue(max_running, max_queued), f"unix://{socket_path}")
        servicer.ready.set()
        pb_grpc.add_AvEventsServicer_to_server(servicer, server)
        server.add_insecure_port(f"unix://{socket_path}")
        await server.start()
        box["servicer"], box["stop"] = servicer, asyncio.Event()
        started.set()
        await box["stop"].wait()
        await server.stop(0)

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the in-process server did not start")
    try:
        yield box["servicer"]
    finally:
        loop.call_soon_threadsafe(box["stop"].set)
        thread.join(10)
        if thread.is_alive():
            raise RuntimeError("the in-process server did not stop")
        loop.close()


def client_for(socket_path: Path, **kwargs) -> DaemonClient:
    return DaemonClient(f"unix://{socket_path}", **kwargs)
