"""Status latency of a real daemon, run as ``avevents serve`` runs (its own process, its Unix socket):
idle, and while it loads and unloads the audio-visual pack's models again and again (LoadModel /
UnloadModel calls, as the tray's Models view makes), with 1 and 20 clients, each in a process of its own,
polling at once. The first row is the baseline the others compare with.

    AVEVENTS_MODEL_MIRROR=../shared/models python bench/bench_status.py [--polls 20]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PACKS = ("efficientat-mn04-as", "mobilenet-v2-imagenet")
CLIENTS = (1, 20)


def _poll(polls: int, start_at: float, call: str = "status") -> list[float]:
    """One client process: connect, then ``polls`` calls (GetStatus, or the gRPC health check); their
    durations in seconds."""
    from avevents.daemon.client import DaemonClient

    with DaemonClient.connect(timeout=5.0) as client:
        ask = client.status if call == "status" else lambda: client.healthy(5.0) or sys.exit("not serving")
        ask()  # the figure is the call, not the channel set-up
        time.sleep(max(0.0, start_at - time.time()))  # every client starts together
        times = []
        for _ in range(polls):
            started = time.perf_counter()
            ask()
            times.append(time.perf_counter() - started)
            time.sleep(0.01)  # a tray polls; a tight loop would measure this process, not the daemon
        return times


def _measure(pool, clients: int, polls: int, call: str = "status") -> list[float]:
    start_at = time.time() + 0.5
    results = pool.starmap(_poll, [(polls, start_at, call)] * clients)
    return [t for times in results for t in times]


def _row(name: str, times: list[float], baseline: float) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    median = statistics.median(ms)
    return f"{name:<40} {len(ms):6d} {median:9.1f} {p95:8.1f} {ms[-1]:8.1f} {median / baseline:8.1f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=20, help="status calls per client")
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    mirror = Path(os.environ.get("AVEVENTS_MODEL_MIRROR", root.parent / "shared" / "models"))
    base = Path(tempfile.mkdtemp(prefix="avb-"))
    os.environ.update(
        AVEVENTS_MODEL_STORE=str(base / "store"),
        AVEVENTS_RUNTIME_DIR=str(base / "run"),
        AVEVENTS_CONFIG_DIR=str(base / "config"),
        AVEVENTS_CACHE="off",
    )
    from avevents.daemon.client import DaemonClient
    from avevents.models.store import ModelStore

    store = ModelStore(base / "store", mirror)
    for pack in PACKS:
        store.pull(pack)
    log = open(base / "daemon.log", "wb")  # noqa: SIM115 - the daemon's, closed at the end
    daemon = subprocess.Popen(
        [sys.executable, "-m", "avevents.cli.main", "serve"], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while not (base / "run" / "daemon.json").exists() and daemon.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)  # the process is starting: not even its lock is taken yet
        with DaemonClient.connect(timeout=5.0, start_wait=60.0) as admin:
            while not admin.status().ready:  # as users run it: the default pack's models preloaded
                time.sleep(0.2)
            pool = multiprocessing.get_context("spawn").Pool(max(CLIENTS))
            pool.starmap(_poll, [(1, 0.0)] * max(CLIENTS))  # the workers' imports, before any figure
            heading = f"{'calls (GetStatus unless said)':<40} {'calls':>6} {'median ms':>9} {'p95 ms':>8}"
            print(f"{heading} {'max ms':>8} {'vs idle':>9}")
            idle = _measure(pool, 1, args.polls)
            baseline = statistics.median(idle) * 1000
            print(_row("idle, 1 client", idle, baseline))
            for clients in CLIENTS[1:]:
                print(_row(f"idle, {clients} clients", _measure(pool, clients, args.polls), baseline))
            for clients, call in [*((c, "status") for c in CLIENTS), (max(CLIENTS), "health")]:
                stop, loads = threading.Event(), [0]

                def reload(stop=stop, loads=loads) -> None:
                    while not stop.is_set():
                        for pack in PACKS:
                            admin.unload_model(pack)
                            admin.load_model(pack)
                            loads[0] += 1

                loader = threading.Thread(target=reload)
                loader.start()
                times = _measure(pool, clients, args.polls, call)
                stop.set()
                loader.join()
                print(
                    _row(
                        f"loading ({loads[0]} loads), {clients} client(s){', health' * (call == 'health')}",
                        times,
                        baseline,
                    )
                )
            pool.close()
    finally:
        daemon.terminate()
        daemon.wait(30)
        log.close()


if __name__ == "__main__":
    main()
