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
# What the server script prints once its models are loaded. Triton's own log shares that stdout, so the
# mark can land behind part of one of its lines (seen in CI: "...loaded 'mobilenet-v2-imagREADY"). A
# write under PIPE_BUF bytes is never split, so the mark always ends a line; a name of its own never ends
# one of Triton's.
READY_MARK = "AVEVENTS-PYTRITON-READY"
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
def triton_server(repository: Path, timeout: float = 90.0, attempts: int = 2) -> Iterator[str]:
    """Serve ``repository`` from a real tritonserver on loopback; yields its HTTP URL. Its log (tritonserver's
    own lines) goes to ``repository/tritonserver.log``. A start normally takes under 10 s; one seen to hang
    (cause not found, not reproduced in 10 tries) is killed after ``timeout`` and started again on new ports."""
    failures = []
    for attempt in range(attempts):
        log_path = Path(repository) / f"tritonserver-{attempt}.log"
        server, log, drain = _start(Path(repository), log_path)
        try:
            if _wait_ready(server, log_path, timeout, failures):
                yield _url(server)
                return
        finally:
            _stop(server)
            drain.join(5)  # the pipe is closed once the server is gone
            log.close()
    raise TritonDidNotStart("\n\n".join(failures))


def _start(repository: Path, log_path: Path):
    http, grpc, metrics = _free_ports(3)
    log = open(log_path, "w")  # noqa: SIM115 - closed by triton_server
    server = subprocess.Popen(
        [str(TRITON_PYTHON), str(SERVER_SCRIPT), str(repository), str(http), str(grpc), str(metrics), READY_MARK],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    server.http_port = http
    server.ready = threading.Event()

    def drain() -> None:  # tritonserver logs to the same pipe; keep reading it so it never fills
        for line in server.stdout:
            log.write(line)
            log.flush()
            if line.rstrip().endswith(READY_MARK):
                server.ready.set()

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    return server, log, thread


def _wait_ready(server: subprocess.Popen, log_path: Path, timeout: float, failures: list[str]) -> bool:
    deadline = time.monotonic() + timeout
    while not server.ready.wait(0.5):
        if server.poll() is not None or time.monotonic() > deadline:
            state = f"exit {server.poll()}" if server.poll() is not None else f"no {READY_MARK} within {timeout:.0f} s"
            failures.append(f"{state}:\n{log_path.read_text()[-3000:]}")
            return False
    return True


def _url(server: subprocess.Popen) -> str:
    return f"http://127.0.0.1:{server.http_port}"


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    with contextlib.suppress(OSError):
        server.stdin.close()  # the script then leaves pytriton's context, which stops tritonserver
    try:
        server.wait(60 if server.ready.is_set() else 5)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
