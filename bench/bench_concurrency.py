"""Several files at once with the AudioSet (+ frame encoder) pack: one at a time, N at once with each
job's batches run on their own, and N at once with batching across requests (the daemon's default),
in-process on shared resident models, result cache off.

    AVEVENTS_MODEL_MIRROR=../shared/models python bench/bench_concurrency.py [--files 4] [--seconds 120]

Prints wall time (median of --repeat), its ratio to one-at-a-time measured in the same run, and what the
tagger's batcher did (device runs per caller batch, largest run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_detect import CACHE, make_file

LABELS = ("Speech", "Music", "Dog", "Laughter", "Applause", "Vehicle")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    os.environ["AVEVENTS_CACHE"] = "off"
    from avevents.core.results import DetectOptions
    from avevents.engine.pipeline import detect
    from avevents.engine.residency import ResidentModels
    from avevents.models.store import ModelStore

    for pack in ("efficientat-mn04-as", "mobilenet-v2-imagenet"):
        if ModelStore().installed(pack) is None:
            ModelStore().pull(pack)
    CACHE.mkdir(parents=True, exist_ok=True)
    source = make_file(CACHE / f"concurrency_{args.seconds}s_720p30.mp4", args.seconds, (1280, 720))
    paths = []
    for i in range(args.files):  # copies: separate files to open and decode (the result cache is off)
        copy = CACHE / f"concurrency_{args.seconds}s_720p30_{i}.mp4"
        if not copy.exists():
            shutil.copyfile(source, copy)
        paths.append(str(copy))
    options = DetectOptions(pack="audioset", labels=LABELS, use_cache=False)

    def run(parallel: bool, batching: bool) -> tuple[float, str]:
        os.environ["AVEVENTS_CROSS_BATCH"] = "on" if batching else "off"  # forced: auto is off on the CPU
        models = ResidentModels()
        models.load("efficientat-mn04-as")
        models.load("mobilenet-v2-imagenet")
        started = time.perf_counter()
        if parallel:
            threads = [threading.Thread(target=detect, args=(p, options, models)) for p in paths]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            for p in paths:
                detect(p, options, models)
        elapsed = time.perf_counter() - started
        stats = getattr(models.get("efficientat-mn04-as").runner, "stats", None)
        detail = f"{stats.runs}/{stats.calls} runs, largest {stats.largest_run}" if stats else "-"
        for state in models.loaded():
            models.unload(state.entry.name)
        return elapsed, detail

    cases = [
        ("one at a time", False, False),
        (f"{args.files} at once, no cross-request batching", True, False),
        (f"{args.files} at once, cross-request batching", True, True),
    ]
    rows = []
    for name, parallel, batching in cases:
        times, detail = [], ""
        for _ in range(args.repeat):
            seconds, detail = run(parallel, batching)
            times.append(seconds)
        rows.append((name, statistics.median(times), detail))
    baseline = rows[0][1]
    media = args.files * args.seconds
    print(f"{args.files} files x {args.seconds} s 1280x720 30 fps H.264 + AAC, {os.cpu_count()} CPU(s)")
    print(f"{'case':48} {'wall s':>8} {'x real time':>11} {'vs one':>7}  tagger batcher")
    for name, seconds, detail in rows:
        print(f"{name:48} {seconds:8.2f} {media / seconds:11.1f} {baseline / seconds:6.2f}x  {detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
