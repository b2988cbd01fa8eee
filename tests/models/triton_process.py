"""Start and stop a real Triton Inference Server for a model repository (pytriton_repository.py run by the
separate environment tests/triton-venv.sh makes); used by test_triton_server.py and bench/bench_triton.py."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRITON_PYTHON = Path(os.environ.get("AVEVENTS_TRITON_PYTHON", ROOT / ".triton-venv" / "bin" / "python"))
SERVER_SCRIPT = Path(__file__).with_name("pytriton_repository.py")
MISSING = (
    f"no Triton environment at {TRITON_PYTHON}: run `sh tests/triton-venv.sh` (nvidia-pytriton needs "
    "protobuf < 7, which cannot share avevents' environment), or set AVEVENTS_TRITON_PYTHON"
)


class TritonDidNotStart(RuntimeError):
    pass


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@contextlib.contextmanager
def triton_server(repository: Path, timeout: float = 180.0) -> Iterator[str]:
    """Serve ``repository`` from a real tritonserver on loopback; yields its HTTP URL. Its log (tritonserver's
    own lines) goes to ``repository/tritonserver.log``."""
    http, grpc, metrics = _free_ports(3)
    log_path = Path(repository) / "tritonserver.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [str(TRITON_PYTHON), str(SERVER_SCRIPT), str(repository), str(http), str(grpc), str(metrics)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        ready = threading.Event()

        def drain() -> None:  # tritonserver logs to the same pipe; keep reading it so it never fills
            for line in server.stdout:
                log.write(line)
                log.flush()
                if line.strip() == "READY":
                    ready.set()

        threading.Thread(target=drain, daemon=True).start()
        try:
            deadline = time.monotonic() + timeout
            while not ready.wait(0.5):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise TritonDidNotStart(f"exit {server.poll()}:\n{log_path.read_text()[-3000:]}")
            yield f"http://127.0.0.1:{http}"
        finally:
            with contextlib.suppress(OSError):
                server.stdin.close()  # the script then leaves pytriton's context, which stops tritonserver
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
