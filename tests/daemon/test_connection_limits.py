"""TCP mode's connection limits: one peer's idle connections cannot take the daemon from everybody else."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from avevents.core import errors
from avevents.core.results import DetectOptions
from avevents.daemon import connection_limits
from avevents.daemon.client import DaemonClient

from ..conftest import DAEMON_DIRS, LiveDaemon, isolated_env

LINUX = sys.platform.startswith("linux")
PER_PEER = 8
IDLE_SECONDS = 3.0

# The daemon with limits small enough to reach cheaply; "by_address" counts peers by their address
# instead of their user, so one test process can be two peers (127.0.0.1 and 127.0.0.2).
LAUNCHER = """
import asyncio, json, logging, sys
from avevents.daemon.server import Daemon, ServeConfig
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
options = json.loads(sys.argv[1])
if options.pop("by_address", False):
    options["tcp_peer_key"] = lambda peer, local: "ip:" + peer[0]
asyncio.run(Daemon(ServeConfig(tcp="127.0.0.1:0", preload=False, **options)).serve_forever())
"""


def _start(**options) -> LiveDaemon:
    base = Path(tempfile.mkdtemp(prefix="av-"))
    DAEMON_DIRS.append(base)
    env = isolated_env(base / "run", base / "cfg")
    log = open(base / "daemon.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, json.dumps(options)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    daemon = LiveDaemon(process, base / "run", base / "cfg", env, "")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daemon exited with {process.returncode}: {(base / 'daemon.log').read_text()}")
        info = base / "run" / "daemon.json"
        if info.exists():
            daemon.address = json.loads(info.read_text())["address"]
            with daemon.client() as client:
                if client.healthy(2.0):
                    break
        time.sleep(0.1)
    else:
        daemon.stop(signal.SIGKILL)
        raise RuntimeError(f"daemon did not come up: {(base / 'daemon.log').read_text()}")
    # The health check's connection is counted out once the front reads its close: let it, so that each
    # test starts with none open.
    time.sleep(0.3)
    return daemon


def _port(daemon: LiveDaemon) -> int:
    return int(daemon.address.rpartition(":")[2])


def _idle_sockets(port: int, count: int, source: str = "127.0.0.1") -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        s = socket.socket()
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        sockets.append(s)
    return sockets


def _closed_by_peer(s: socket.socket, within: float) -> bool:
    """Whether the other end closes ``s`` within ``within`` seconds (bytes it sends first are skipped)."""
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            if not s.recv(65536):
                return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
    return False


def _close(sockets: list[socket.socket]) -> None:
    for s in sockets:
        s.close()


def _status_soon(daemon: LiveDaemon, within: float = 3.0):
    """GetStatus, retried briefly: the front counts a closed connection out once it reads the close,
    which can come after a connection opened just then."""
    deadline = time.monotonic() + within
    while True:
        with daemon.client() as client:
            try:
                return client.status(timeout=1.0)
            except errors.DaemonUnavailable:
                if time.monotonic() > deadline:
                    raise
        time.sleep(0.1)


@pytest.fixture(scope="module")
def limited():
    """A TCP daemon allowing 8 connections per peer (by user) that closes idle ones after 3 s."""
    d = _start(tcp_max_per_peer=PER_PEER, tcp_idle_seconds=IDLE_SECONDS)
    yield d
    d.stop()


def test_uid_is_read_from_proc_net_tcp_lines():
    text = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1147 1 0 100\n"
        "   1: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 2231 1 0 20\n"
        "   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2232 1 0 20\n"
    )
    if sys.byteorder == "big":
        text = text.replace("0100007F", "7F000001")
    # The client's line (local 127.0.0.1:50000, remote our 127.0.0.1:8080) is user 1000's, not ours.
    assert connection_limits.uid_in_table(text, ("127.0.0.1", 50000), ("127.0.0.1", 8080)) == 1000
    assert connection_limits.uid_in_table(text, ("127.0.0.1", 8080), ("127.0.0.1", 50000)) == 0
    assert connection_limits.uid_in_table(text, ("127.0.0.1", 50001), ("127.0.0.1", 8080)) is None
    six = (
        "  sl  local_address                         remote_address                        st tx_queue rx_queue tr "
        "tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0000000000000000FFFF00000100007F:C350 0000000000000000FFFF00000100007F:1F90 01 00000000:00000000 "
        "00:00000000 00000000  1001        0 41 1 0 20\n"
        "   1: 00000000000000000000000001000000:C351 00000000000000000000000001000000:1F90 01 00000000:00000000 "
        "00:00000000 00000000  1002        0 42 1 0 20\n"
    )
    if sys.byteorder == "little":  # a dual-stack client's IPv4 connection, and one on ::1
        assert connection_limits.uid_in_table(six, ("127.0.0.1", 50000), ("127.0.0.1", 8080)) == 1001
        assert connection_limits.uid_in_table(six, ("::1", 50001, 0, 0), ("::1", 8080, 0, 0)) == 1002
    assert connection_limits.peer_key(("192.0.2.7", 50000), ("127.0.0.1", 8080)) == "ip:192.0.2.7"


@pytest.mark.skipif(not LINUX, reason="the owner of a TCP socket is read from Linux's /proc/net/tcp")
@pytest.mark.parametrize("family, host", [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")])
def test_uid_lookup_finds_our_own_socket_in_the_live_table(family, host):
    try:
        listener = socket.create_server((host, 0), family=family)
    except OSError:
        pytest.skip(f"no {host} here")
    with listener, socket.create_connection(listener.getsockname()[:2]) as client:
        accepted, peer = listener.accept()
        with accepted:
            # What the front knows of the connection: the client's address, and its own.
            local = accepted.getsockname()
            assert client.getsockname()[:2] == peer[:2]
            table = Path("/proc/net/tcp" if family == socket.AF_INET else "/proc/net/tcp6").read_text()
            assert connection_limits.uid_in_table(table, peer, local) == os.getuid()
            assert connection_limits.socket_uid(peer, local) == os.getuid()
            assert connection_limits.peer_key(peer, local) == f"uid:{os.getuid()}"
            assert connection_limits.socket_uid((host, 1), local) is None  # no such client socket
            try:
                assert connection_limits.diag_uid(peer, local) == os.getuid()
            except OSError as exc:  # socket_uid read the table instead
                pytest.skip(f"sock_diag is not available here: {exc}")


@pytest.mark.skipif(not LINUX, reason="peers are told apart by user on Linux")
def test_one_user_over_its_limit_is_refused_at_once_and_served_again_after(limited):
    port = _port(limited)
    held = _idle_sockets(port, PER_PEER + 4)
    try:
        extra = held[PER_PEER:]
        assert all(_closed_by_peer(s, 2.0) for s in extra)  # refused at once, not after the idle time
        assert not any(_closed_by_peer(s, 0.2) for s in held[:PER_PEER])  # within the limit: still open
        with limited.client() as client, pytest.raises(errors.DaemonUnavailable):
            client.status(timeout=2.0)  # the same user, over its limit
        _close(held)
        status = _status_soon(limited)
        assert status.pid == limited.process.pid
        assert status.address == limited.address  # the user's address, not the inner socket
    finally:
        _close(held)
    log = (limited.runtime_dir.parent / "daemon.log").read_text()
    assert log.count("refused a TCP connection") == 1, log  # one warning for the peer, not one each


@pytest.mark.skipif(not LINUX, reason="peers are told apart by user on Linux")
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as another user")
def test_another_user_is_served_while_one_holds_its_limit(limited):
    held = _idle_sockets(_port(limited), PER_PEER + 2)
    try:
        assert _closed_by_peer(held[-1], 2.0)
        token = (limited.config_dir / "token").read_text().strip()
        code = (
            "import sys; from avevents.daemon.client import DaemonClient; "
            "c = DaemonClient(sys.argv[1], sys.argv[2]); print(c.status(timeout=5).pid)"
        )
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        nobody = subprocess.run(
            [*as_nobody, sys.executable, "-c", code, limited.address, token],
            capture_output=True,
            text=True,
            timeout=30,
            cwd="/",
            env={**limited.env, "HOME": "/nonexistent"},
        )
        assert nobody.returncode == 0 and nobody.stdout.split() == [str(limited.process.pid)], nobody.stderr
    finally:
        _close(held)


def test_peers_are_counted_apart_and_calls_pass_through(av_clip):
    """Counted by address (an injected peer key): 127.0.0.2 at its limit leaves 127.0.0.1 served, with
    the token checked end to end, a streamed Detect and GetStatus through the front."""
    d = _start(tcp_max_per_peer=4, tcp_max_total=7, by_address=True)
    try:
        held = _idle_sockets(_port(d), 5, source="127.0.0.2")
        assert _closed_by_peer(held[4], 2.0) and not _closed_by_peer(held[0], 0.2)
        with DaemonClient(d.address, token=None) as anonymous, pytest.raises(errors.Unauthenticated):
            anonymous.status()
        with d.client() as client:
            assert client.status().pid == d.process.pid
            result = client.detect(av_clip.path, DetectOptions(labels=("Scene cut",)))
            assert [e.label for e in result.events] and {e.label for e in result.events} == {"Scene cut"}
        # Everybody together: 4 held by 127.0.0.2, then 3 from 127.0.0.3 fill the 7; the next is refused,
        # whoever it is from, until some close.
        time.sleep(0.5)  # the client's connection, closed above, is counted out once the front reads the close
        more = _idle_sockets(_port(d), 4, source="127.0.0.3")
        held += more
        assert _closed_by_peer(more[3], 2.0) and not _closed_by_peer(more[2], 0.2)
        with d.client() as client, pytest.raises(errors.DaemonUnavailable):
            client.status(timeout=2.0)
        _close(more)
        assert _status_soon(d).pid == d.process.pid
    finally:
        _close(held)
        assert d.stop() == 0
    assert not (d.runtime_dir / "tcp-inner.sock").exists() and not (d.runtime_dir / "daemon.json").exists()


def test_idle_connections_are_closed_through_the_front(limited):
    (s,) = _idle_sockets(_port(limited), 1)
    with s:
        started = time.monotonic()
        assert _closed_by_peer(s, IDLE_SECONDS + 4)
        assert time.monotonic() - started >= IDLE_SECONDS - 0.5


def test_sigterm_closes_the_front_and_its_connections_promptly():
    d = _start(tcp_max_per_peer=PER_PEER, shutdown_grace=5.0)
    held = _idle_sockets(_port(d), 3)
    try:
        inner = d.runtime_dir / "tcp-inner.sock"
        assert inner.is_socket() and (inner.stat().st_mode & 0o777) == 0o600
        signalled = time.monotonic()
        d.process.send_signal(signal.SIGTERM)
        assert all(_closed_by_peer(s, 2.0) for s in held)  # idle: not kept for the grace
        assert d.process.wait(10) == 0 and time.monotonic() - signalled < 5
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", _port(d)), timeout=1).close()
        assert not inner.exists()
    finally:
        _close(held)
        d.stop()
