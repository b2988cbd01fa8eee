"""The result cache under concurrent writers, readers and evictors, in other processes and other threads:
no call raises, and whatever is read back is exactly what some writer wrote for that key, or a miss.

The limit is a handful of entries, so every write evicts while the others write, rename and read: files
vanish between the listing and the stat, temp files are renamed while listed, entries are replaced and
evicted while read.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

# One worker for both tests: run by ``python -c`` in each process, exec'd once for the threads.
WORKER = r'''
import json
import random
import sys
import time

import numpy as np

from avevents.core.results import GridTrack
from avevents.engine.postprocess import PointCandidates, ScoreTrack
from avevents.engine.result_cache import CachedAnalysis, ResultCache


def key_for(i):
    return ResultCache.key(f"/media/clip{i}.mp4|1|1|x", "det", [("m", "1")], (0.0, 10.0), {"i": i})


def entry_for(i):
    """Entry i, the same in every process; random scores so entries keep their size compressed."""
    scores = np.random.default_rng(i).random(300 + i % 50).astype(np.float32)
    track = ScoreTrack(f"label {i}", 0.0, 0.5, 1.0, scores, 3, {"audio": scores[::-1].copy()})
    n = i % 7
    points = PointCandidates(f"cut {i}", np.arange(n, dtype=float), np.ones(n), np.full(n, 0.5))
    grid = GridTrack(f"det{i}", "audio", 0.5, 1.0, 16000)
    return CachedAnalysis([track, points], grid, [f"warning {i}"], bool(i % 2), float(i))


def same(a, b):
    if (a.grid, a.warnings, a.luma_thumbnails, a.picture_fps) != (b.grid, b.warnings, b.luma_thumbnails,
                                                                   b.picture_fps):
        return False
    ta, pa = a.outputs
    tb, pb = b.outputs
    return (
        (ta.label, ta.start_seconds, ta.step_seconds, ta.window_seconds, ta.smoothing_steps)
        == (tb.label, tb.start_seconds, tb.step_seconds, tb.window_seconds, tb.smoothing_steps)
        and np.array_equal(ta.scores, tb.scores)
        and sorted(ta.extras) == sorted(tb.extras)
        and all(np.array_equal(ta.extras[k], tb.extras[k]) for k in ta.extras)
        and pa.label == pb.label
        and all(np.array_equal(getattr(pa, f), getattr(pb, f)) for f in ("times", "lengths", "scores"))
    )


def hammer(root, max_bytes, seed, writes, pool, start_at=0.0):
    """``writes`` puts of random entries of a shared pool, each followed by a read of another; counts."""
    rng = random.Random(seed)
    counts = {"errors": [], "mismatches": 0, "hits": 0, "misses": 0}
    while time.time() < start_at:  # every worker starts together
        time.sleep(0.001)
    for n in range(writes):
        cache = ResultCache(root, max_bytes)  # as the pipeline: one per request
        i, j = rng.randrange(pool), rng.randrange(pool)
        for what, call in (
            ("put", lambda: cache.put(key_for(i), entry_for(i))),
            ("get", lambda: cache.get(key_for(j))),
            ("size", lambda: n % 10 or cache.size()),
        ):
            try:
                got = call()
            except Exception as exc:
                counts["errors"].append(f"{what}: {type(exc).__name__}: {exc}")
                continue
            if what == "get":
                if got is None:
                    counts["misses"] += 1
                elif same(got, entry_for(j)):
                    counts["hits"] += 1
                else:
                    counts["mismatches"] += 1
    return counts


if __name__ == "__main__":
    root, max_bytes, seed, writes, pool, start_at = sys.argv[1:]
    print(json.dumps(hammer(root, int(max_bytes), int(seed), int(writes), int(pool), float(start_at))))
'''

WRITES = 200
POOL = 40
ENTRY_BYTES = 3600  # about one entry_for(i) compressed: the limit below holds a handful
LIMIT = 6 * ENTRY_BYTES


def _summary(results: list[dict]) -> tuple[list[str], int, int, int]:
    errors = [e for r in results for e in r["errors"]]
    return (
        errors,
        sum(r["mismatches"] for r in results),
        sum(r["hits"] for r in results),
        sum(r["misses"] for r in results),
    )


def test_several_processes_writing_reading_and_evicting_never_fail(tmp_path):
    root = tmp_path / "cache"
    start_at = time.time() + 2.0  # past every worker's imports
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(root), str(LIMIT), str(seed), str(WRITES), str(POOL), str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(3)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    errors, mismatches, hits, misses = _summary(results)
    assert not errors, f"{len(errors)} of {3 * WRITES * 3} cache calls raised, e.g. {sorted(set(errors))[:5]}"
    assert mismatches == 0
    assert hits > 0 and hits + misses == 3 * WRITES
    # What is left is entries only (no temp file of a finished writer) and about fits the limit.
    leftovers = [p.name for p in root.rglob("*") if p.is_file() and not p.name.endswith(".npz")]
    assert leftovers == []


def test_several_threads_writing_reading_and_evicting_never_fail(tmp_path):
    namespace: dict = {"__name__": "cache_worker"}
    exec(compile(WORKER, "cache_worker", "exec"), namespace)
    root = tmp_path / "cache"
    results: list[dict] = []
    start_at = time.time() + 0.2

    def work(seed: int) -> None:
        results.append(namespace["hammer"](root, LIMIT, seed, WRITES, POOL, start_at))

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    errors, mismatches, hits, misses = _summary(results)
    assert len(results) == 4
    assert not errors, f"{len(errors)} of {4 * WRITES * 3} cache calls raised, e.g. {sorted(set(errors))[:5]}"
    assert mismatches == 0
    assert hits > 0 and hits + misses == 4 * WRITES
