"""What the result cache saves: a file analysed once, then asked again with other thresholds, a label
subset or a sub-range, in-process with the default (built-in) pack.

    python bench/bench_cache.py            # the one-hour 640x360 file of bench_detect.py (made if missing)
    python bench/bench_cache.py FILE

Prints a table of wall times (medians of --repeat runs for the cached ones) and their ratio to the
uncached analysis measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_detect import CACHE, make_file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pack", default="builtin", help="e.g. audioset (installed in the model store)")
    args = parser.parse_args()
    os.environ["AVEVENTS_CACHE"] = "on"
    os.environ["AVEVENTS_CACHE_DIR"] = tempfile.mkdtemp(prefix="avevents-bench-cache-")
    from avevents.core.results import DetectOptions, LabelOptions
    from avevents.engine.pipeline import detect
    from avevents.engine.residency import ResidentModels

    path = args.file or make_file(CACHE / "one_hour_360p30.mp4", 3600, (640, 360))
    models = ResidentModels()

    def timed(options: DetectOptions) -> tuple[float, int]:
        started = time.perf_counter()
        result = detect(str(path), replace(options, pack=args.pack), models)
        return time.perf_counter() - started, len(result.events)

    rows = []
    seconds, events = timed(DetectOptions(use_cache=False))
    baseline = seconds
    rows.append(("analysis, no cache", seconds, events))
    rows.append(("first run (fills the cache)", *timed(DetectOptions())))
    cases = [
        ("same request again", DetectOptions()),
        ("other thresholds (sensitivity 0.8)", DetectOptions(sensitivity=0.8)),
        (
            "min length 3 s, merge gap 2 s",
            DetectOptions(defaults=LabelOptions(min_event_seconds=3, merge_gap_seconds=2)),
        ),
        ("one label (Speech)", DetectOptions(labels=("Speech",))),
        (
            "other labels (AudioSet pack only)",
            DetectOptions(labels=("Dog", "Siren")) if args.pack == "audioset" else None,
        ),
        ("a 10-minute range", DetectOptions(source_range=(600.0, 1200.0))),
    ]
    for name, options in cases:
        if options is None:
            continue
        runs = [timed(options) for _ in range(args.repeat)]
        rows.append((name, statistics.median(r[0] for r in runs), runs[0][1]))
    print(f"{path.name}, pack {args.pack}: result cache, in-process, median of {args.repeat} for the cached rows")
    print(f"{'request':38} {'seconds':>9} {'vs no cache':>12} {'events':>7}")
    for name, seconds, events in rows:
        print(f"{name:38} {seconds:9.3f} {seconds / baseline:11.3f}x {events:7d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
