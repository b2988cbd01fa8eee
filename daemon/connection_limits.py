"""Per-peer connection limits for the daemon's TCP mode: an asyncio front that counts and forwards.

gRPC Python has no hook at accept time, and an idle connection never makes an RPC, so neither an
interceptor nor a server option can stop one local user from holding enough idle connections to use up
the daemon's file descriptors (then nobody can connect). No library offers per-user accept limits for a
gRPC server either, and on loopback TCP every client is 127.0.0.1 (SO_PEERCRED is for Unix sockets
only). So in TCP mode the gRPC server listens privately (a 0600 Unix socket, or an ephemeral loopback
port where there are none) and this front listens on the user's address: it takes each connection, works
out whose it is, refuses it at once when that peer (or everybody together) holds too many, and otherwise
forwards the bytes unchanged both ways, so HTTP/2, the token check and streamed calls work end to end as
before. The gRPC server closes connections that stay idle (``grpc.max_connection_idle_ms``), and the front
passes that on to the client, so a peer's idle connections give its share back.

A peer is the local user owning the client's socket on Linux (its uid, asked of the kernel's sock_diag
netlink interface for that one connection, else read from ``/proc/net/tcp`` and ``/proc/net/tcp6``), else
the client's address.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
import os
import socket
import struct
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_PER_PEER = 32
DEFAULT_TOTAL = 512
# Refusals are logged once per peer per interval: a flood must not become a flood of log lines.
WARN_INTERVAL = 60.0
# Each forwarded connection holds three descriptors in the daemon: the client's, ours to the inner
# server and the inner server's end of it. The reserve is for everything else (models, media, gRPC).
FDS_PER_CONNECTION = 3
FD_RESERVE = 256
UPSTREAM_CONNECT_TIMEOUT = 5.0
CHUNK = 256 * 1024
BACKLOG = 1024
PROC_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")
UID_COLUMN = 7  # sl local rem st tx:rx tr:when retrnsmt uid ...
# Linux's sock_diag (include/uapi/linux/{netlink,sock_diag,inet_diag}.h).
NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLMSG_ERROR = 2
NLM_F_REQUEST = 1
INET_DIAG_NOCOOKIE = 0xFFFFFFFF
DIAG_UID_OFFSET = 16 + 4 + 48 + 12  # nlmsghdr, family/state/timer/retrans, sockid, expires/rqueue/wqueue

# (peer address, our address) as asyncio's get_extra_info gives them -> the key a limit is counted by.
PeerKey = Callable[[tuple, tuple], str]


def raise_open_file_limit() -> int | None:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit (POSIX); the soft limit now, or None.

    Many systems start processes at 1024 descriptors while allowing far more; a daemon holding many
    clients' connections wants the room it is allowed."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft in (hard, resource.RLIM_INFINITY):
        return soft
    # macOS refuses RLIM_INFINITY (and anything over kern.maxfilesperproc) for descriptors: then less.
    wanted = [hard] if hard != resource.RLIM_INFINITY else []
    for target in [*wanted, 1 << 20, 10240]:
        if target <= soft:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            continue
        log.debug("open-file limit raised from %d to %d", soft, target)
        return target
    log.debug("open-file limit left at %d (hard limit %d)", soft, hard)
    return soft


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])  # an IPv6 scope ("fe80::1%eth0") is no part
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _proc_hex(address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int) -> str:
    """``address:port`` as the kernel writes it in /proc/net/tcp*: each 32-bit word of the address in
    network order printed as a native-endian number, then the port in hex."""
    packed = address.packed
    words = (int.from_bytes(packed[i : i + 4], sys.byteorder) for i in range(0, len(packed), 4))
    return "".join(f"{w:08X}" for w in words) + f":{port:04X}"


def uid_in_table(text: str, client: tuple[str, int], server: tuple[str, int]) -> int | None:
    """The uid owning the socket in a /proc/net/tcp or tcp6 ``text`` whose local end is ``client`` and
    remote end ``server`` (the client's side of a connection we accepted), or None."""
    client_ip, server_ip = _address(client[0]), _address(server[0])
    if client_ip is None or server_ip is None:
        return None
    forms = [(client_ip, server_ip)]
    if client_ip.version == 4 and server_ip.version == 4:  # a dual-stack client lists it as ::ffff:a.b.c.d
        forms.append(tuple(ipaddress.IPv6Address(b"\0" * 10 + b"\xff\xff" + a.packed) for a in forms[0]))
    for local, remote in forms:
        # A substring search, not a parse of every line: the table holds a line per socket on the machine.
        needle = f" {_proc_hex(local, client[1])} {_proc_hex(remote, server[1])} "
        at = text.find(needle)
        if at < 0:
            continue
        end = text.find("\n", at)
        line = text[text.rfind("\n", 0, at) + 1 : end if end >= 0 else None]
        try:
            return int(line.split()[UID_COLUMN])
        except (IndexError, ValueError):
            return None
    return None


def diag_uid(client: tuple, server: tuple) -> int | None:
    """The uid owning the TCP socket whose local end is ``client`` and remote end ``server``, asked of
    Linux's sock_diag for that one socket (a hash lookup in the kernel), or None when there is none.

    :raises OSError: sock_diag cannot be used here (not Linux, or forbidden).
    """
    client_ip, server_ip = _address(client[0]), _address(server[0])
    if client_ip is None or server_ip is None or client_ip.version != server_ip.version:
        return None
    family = socket.AF_INET if client_ip.version == 4 else socket.AF_INET6
    request = struct.pack("=BBBBI", family, socket.IPPROTO_TCP, 0, 0, 0xFFFFFFFF)  # any state
    request += struct.pack("!HH", client[1], server[1])
    request += client_ip.packed.ljust(16, b"\0") + server_ip.packed.ljust(16, b"\0")
    request += struct.pack("=III", 0, INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE)
    header = struct.pack("=IHHII", 16 + len(request), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, 1, 0)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG) as diag:
        diag.settimeout(1.0)
        diag.sendto(header + request, (0, 0))
        reply = diag.recv(8192)
    kind = struct.unpack_from("=H", reply, 4)[0] if len(reply) >= 16 else None
    if kind == NLMSG_ERROR and len(reply) >= 20:
        code = -struct.unpack_from("=i", reply, 16)[0]
        if code == errno.ENOENT:  # no such socket here: a client on another machine
            return None
        raise OSError(code, f"sock_diag: {os.strerror(code)}")
    if kind != SOCK_DIAG_BY_FAMILY or len(reply) < DIAG_UID_OFFSET + 4:
        raise OSError(errno.EPROTO, "sock_diag: an unexpected reply")
    return struct.unpack_from("=I", reply, DIAG_UID_OFFSET)[0]


def socket_uid(client: tuple, server: tuple, tables: tuple[str, ...] = PROC_TABLES) -> int | None:
    """The local user owning the client's end of a TCP connection from ``client`` to ``server`` (Linux,
    same network namespace), or None where that cannot be known (another machine, no /proc)."""
    # sock_diag first: /proc/net/tcp lists every socket of the machine (about 4 us a line here, 12 ms
    # with a thousand connections open), which a flood of connections would pay once each.
    try:
        return diag_uid(client[:2], server[:2])
    except (OSError, AttributeError):  # AttributeError: no AF_NETLINK (not Linux)
        pass
    for table in tables:
        try:
            text = Path(table).read_text()
        except OSError:
            continue
        uid = uid_in_table(text, client[:2], server[:2])
        if uid is not None:
            return uid
    return None


def peer_key(peer: tuple, local: tuple) -> str:
    """Who a connection counts against: ``uid:N`` for a local user's, else ``ip:ADDRESS``."""
    if sys.platform.startswith("linux"):
        uid = socket_uid(peer, local)
        if uid is not None:
            return f"uid:{uid}"
    address = _address(str(peer[0]))
    return f"ip:{address if address is not None else peer[0]}"


class ConnectionFront:
    """Listens on the user's TCP address and forwards each connection to ``upstream`` (a Unix socket
    path, or ``(host, port)``), refusing those over ``per_peer`` for their peer or over ``total``."""

    def __init__(
        self,
        upstream: Path | tuple[str, int],
        per_peer: int = DEFAULT_PER_PEER,
        total: int = DEFAULT_TOTAL,
        key: PeerKey = peer_key,
    ):
        if per_peer < 1 or total < 1:
            raise ValueError("connection limits must be at least 1")
        self.upstream = upstream
        self.per_peer = per_peer
        self.total = total
        self.key = key
        self.open: Counter[str] = Counter()  # peer -> connections open now
        self.refused: Counter[str] = Counter()  # peer -> connections refused since the daemon started
        self._warned: dict[str, tuple[float, int]] = {}  # peer -> (when last warned, its refusals by then)
        self._tasks: set[asyncio.Task] = set()
        self._silent: set[asyncio.Task] = set()  # connections whose client has sent nothing yet
        self._transports: set[asyncio.BaseTransport] = set()
        self._server: asyncio.AbstractServer | None = None

    @property
    def open_total(self) -> int:
        return sum(self.open.values())

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0: any free port); the port listened on.

        :raises OSError: the address cannot be listened on.
        """
        # The limits must fit the descriptors this process may open, or the flood wins anyway.
        fds = raise_open_file_limit()
        if fds is not None:
            room = max(self.per_peer, (fds - FD_RESERVE) // FDS_PER_CONNECTION)
            if room < self.total:
                log.warning("at most %d TCP connections in all (open-file limit %d), not %d", room, fds, self.total)
                self.total = room
        # "localhost" could resolve to two addresses that port 0 would give two different ports.
        bind = "127.0.0.1" if host == "localhost" else host.strip("[]")
        # A backlog like gRPC's own listener's: asyncio's 100 drops a burst's SYNs (clients then wait 1 s).
        self._server = await asyncio.start_server(self._accepted, bind, port, limit=CHUNK, backlog=BACKLOG)
        bound = self._server.sockets[0].getsockname()[1]
        log.debug("TCP front %s:%d -> %s: %d a peer, %d in all", bind, bound, self.upstream, self.per_peer, self.total)
        return bound

    async def stop_accepting(self) -> None:
        """Close the listening socket, and drop the connections whose client never sent a byte (they
        can have no call under way, and gRPC's shutdown would wait its whole grace for each); the others
        go on, for the calls the grace lets finish."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._silent):
            task.cancel()

    async def close(self) -> None:
        """Stop listening and drop every forwarded connection now."""
        await self.stop_accepting()
        for transport in list(self._transports):
            transport.abort()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)

    def _refuse(self, peer: str, writer: asyncio.StreamWriter, why: str) -> None:
        writer.transport.abort()
        self.refused[peer] += 1
        now = time.monotonic()
        last = self._warned.get(peer)
        if last is None or now - last[0] >= WARN_INTERVAL:
            more = self.refused[peer] - last[1] - 1 if last else 0
            since = f" ({more} more refused since the last warning)" if more > 0 else ""
            log.warning("refused a TCP connection from %s: %s%s", peer, why, since)
            self._warned[peer] = (now, self.refused[peer])

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername, sockname = writer.get_extra_info("peername"), writer.get_extra_info("sockname")
        # Checked and counted with no await in between, so concurrent accepts cannot overshoot.
        if self.open_total >= self.total:
            self._refuse("everybody", writer, f"{self.open_total} connections are open (limit {self.total})")
            return
        try:
            peer = self.key(peername, sockname)
        except Exception:  # a peer that cannot be told apart still counts, by its address
            log.debug("no peer key for %s", peername, exc_info=True)
            peer = f"ip:{peername[0]}"
        if self.open[peer] >= self.per_peer:
            self._refuse(peer, writer, f"it holds {self.open[peer]} connections (limit {self.per_peer} per peer)")
            return
        self.open[peer] += 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            self._silent.add(task)
        self._transports.add(writer.transport)
        up_writer = None
        try:
            up_reader, up_writer = await asyncio.wait_for(self._connect_upstream(), UPSTREAM_CONNECT_TIMEOUT)
            self._transports.add(up_writer.transport)
            spoke = partial(self._silent.discard, task)
            pipes = {
                asyncio.ensure_future(_pipe(reader, up_writer, spoke)),
                asyncio.ensure_future(_pipe(up_reader, writer)),
            }
            try:
                # Either side closing ends the connection: HTTP/2 never half-closes, and the inner server
                # closing an idle one (grpc.max_connection_idle_ms) must reach the client.
                await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pipe in pipes:
                    pipe.cancel()
                await asyncio.gather(*pipes, return_exceptions=True)
        except (OSError, asyncio.TimeoutError) as exc:
            log.warning("could not forward a connection from %s to the daemon's server: %s", peer, exc)
        finally:
            self.open[peer] -= 1
            if self.open[peer] <= 0:
                del self.open[peer]
            for w in (writer, up_writer):
                if w is not None:
                    self._transports.discard(w.transport)
                    w.close()
            if task is not None:
                self._tasks.discard(task)
                self._silent.discard(task)

    async def _connect_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if isinstance(self.upstream, tuple):
            return await asyncio.open_connection(*self.upstream, limit=CHUNK)
        return await asyncio.open_unix_connection(str(self.upstream), limit=CHUNK)


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, first: Callable[[], object] | None = None
) -> None:
    """Copy ``reader`` to ``writer`` until end of file or an error on either; ``first()`` is called on
    the first bytes."""
    with contextlib.suppress(OSError):
        while data := await reader.read(CHUNK):
            if first is not None:
                first()
                first = None
            writer.write(data)
            await writer.drain()
