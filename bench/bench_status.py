"""Status latency of the daemon's servicer on a real socket: idle (the baseline) and while the
audio-visual pack's models load again and again, with 1 and 20 clients polling at once.

    AVEVENTS_MODEL_MIRROR=../shared/models python bench/bench_status.py [--polls 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from avevents.models.store import ModelStore
from tests.daemon.inprocess_server import client_for, serving

PACKS = ("efficientat-mn04-as", "mobilenet-v2-imagenet")


def _poll(socket_path: Path, clients: int, polls: int) -> list[float]:
    times: list[float] = []
    lock = threading.Lock()

    def one() -> None:
        with client_for(socket_path) as client:
            client.status()  # connect first: the figure is the call, not the channel set-up
            for _ in range(polls):
                started = time.perf_counter()
                client.status()
                with lock:
                    times.append(time.perf_counter() - started)

    threads = [threading.Thread(target=one) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def _row(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    return f"{name:<44} {len(ms):6d} {statistics.median(ms):9.1f} {p95:8.1f} {ms[-1]:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=20, help="status calls per client")
    args = parser.parse_args()
    mirror = Path(os.environ.get("AVEVENTS_MODEL_MIRROR", Path(__file__).resolve().parents[2] / "shared" / "models"))
    base = Path(tempfile.mkdtemp(prefix="avb-"))
    store = ModelStore(base / "store", mirror)
    for pack in PACKS:
        store.pull(pack)
    os.environ["AVEVENTS_MODEL_STORE"] = str(store.root)
    from avevents.engine.residency import ResidentModels

    models = ResidentModels()
    models.import_runtimes()
    socket_path = base / "d.sock"
    print(f"{'status calls':<44} {'calls':>6} {'median ms':>9} {'p95 ms':>8} {'max ms':>8}")
    with serving(models, socket_path):
        for clients in (1, 20):
            print(_row(f"idle, {clients} client(s)", _poll(socket_path, clients, args.polls)))
        for clients in (1, 20):
            stop = threading.Event()
            loads = [0]

            def reload(stop=stop, loads=loads) -> None:
                while not stop.is_set():
                    for pack in PACKS:
                        models.unload(pack)
                        models.load(pack)
                        loads[0] += 1

            loader = threading.Thread(target=reload)
            loader.start()
            times = _poll(socket_path, clients, args.polls)
            stop.set()
            loader.join()
            print(_row(f"models loading ({loads[0]} loads), {clients} client(s)", times))


if __name__ == "__main__":
    main()
