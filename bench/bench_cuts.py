"""Scene cuts: avevents against PySceneDetect's ContentDetector (its PyAV backend) on the same files,
with ground truth known by construction, and PyAV's decode-only time as the floor.

    pip install scenedetect opencv-python-headless    # PySceneDetect, only for this comparison
    python bench/bench_cuts.py

Files: the 10-minute 1280x720 file of bench_detect.py (a hard cut every 7 s) and the test suite's cut
clips at 23.976, 25 and 29.97 fps (hard cuts at known frames, plus a one-frame flash and a fade that are
not cuts). A detected cut counts when it is within one frame of a true one. Prints time and F1 per tool.
"""

from __future__ import annotations

import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test suite's clip maker: ``tests.media_factory``
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_detect import CACHE, make_file  # noqa: E402


def f1(found: list[int], truth: list[int], tolerance: int = 1) -> tuple[float, float, float]:
    used, tp = set(), 0
    for f in found:
        match = next((i for i, t in enumerate(truth) if i not in used and abs(f - t) <= tolerance), None)
        if match is not None:
            used.add(match)
            tp += 1
    precision = tp / len(found) if found else 0.0
    recall = tp / len(truth) if truth else 1.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def decode_only(path: Path) -> float:
    started = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            pass
    return time.perf_counter() - started


def ours(path: Path, models) -> tuple[float, list[int], Fraction]:
    from avevents.core.results import DetectOptions
    from avevents.engine.pipeline import detect

    started = time.perf_counter()
    result = detect(str(path), DetectOptions(labels=("Scene cut",), use_cache=False), models)
    rate = result.media.frame_rate
    return time.perf_counter() - started, [round(e.start_seconds * rate) for e in result.events], rate


def pyscenedetect(path: Path) -> tuple[float, list[int]]:
    from scenedetect import ContentDetector, detect

    started = time.perf_counter()
    scenes = detect(str(path), ContentDetector(), backend="pyav")
    return time.perf_counter() - started, [start.frame_num for start, _ in scenes[1:]]


def main() -> int:
    try:
        import scenedetect  # noqa: F401
    except ImportError:
        print("PySceneDetect is not installed: pip install scenedetect opencv-python-headless", file=sys.stderr)
        return 2
    from avevents.engine.residency import ResidentModels
    from tests import media_factory

    tmp = Path(tempfile.mkdtemp(prefix="avevents-cuts-"))
    files = []
    long = make_file(CACHE / "ten_minutes_720p30.mp4", 600, (1280, 720))
    files.append((long, list(range(210, 600 * 30, 210))))  # a new shot every 7 s at 30 fps
    for rate in (Fraction(24000, 1001), Fraction(25), Fraction(30000, 1001)):
        clip = media_factory.write_cut_clip(tmp / f"cuts{float(rate):.2f}.mp4", frame_rate=rate)
        files.append((clip.path, [round(t * rate) for t in clip.cuts]))
    models = ResidentModels()
    print(f"{'file':24} {'tool':16} {'seconds':>8} {'x decode':>9} {'P':>6} {'R':>6} {'F1':>6}")
    for path, truth in files:
        floor = decode_only(path)
        seconds, found, _ = ours(path, models)
        rows = [("avevents", seconds, found)]
        seconds, found = pyscenedetect(path)
        rows.append(("PySceneDetect", seconds, found))
        for tool, seconds, found in rows:
            p, r, f = f1(found, truth)
            print(f"{path.name[:24]:24} {tool:16} {seconds:8.2f} {seconds / floor:8.2f}x {p:6.3f} {r:6.3f} {f:6.3f}")
        print(f"{'':24} {'decode only':16} {floor:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
