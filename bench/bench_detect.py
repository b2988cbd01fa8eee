"""Benchmark the default analysis against PyAV's decode-only time on the same file.

    python bench/bench_detect.py            # 10-minute 1280x720 30 fps H.264 + AAC file
    python bench/bench_detect.py --hour     # also a one-hour file: memory must stay flat
    python bench/bench_detect.py --size 1920x1080 --seconds 300 --pack audioset   # another file and pack

Prints a table: wall time of ``avevents detect`` cold in-process and through a warm daemon, PyAV's
decode-only time for the same streams at the same settings, their ratio, peak RSS and the real-time
factor. Medians of ``--repeat`` runs. Generated files are cached in bench/.cache.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import av
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent
CACHE = ROOT / ".cache"


def make_file(path: Path, seconds: int, size: tuple[int, int], fps: int = 30) -> Path:
    """Shots of moving texture (a cut every 7 s) with speech-like bursts and noise on the audio."""
    if path.exists():
        return path
    from avevents.engine.media import synth
    from avevents.engine.media.writer import write_media

    w, h = size
    rng = np.random.default_rng(0)
    canvases = []
    for k in range(4):
        # A luma canvas wider than the frame; each frame is a shifted window (a pan), chroma flat.
        yy, xx = np.mgrid[0:h, 0 : w + 2 * fps * 7].astype(np.float32)
        texture = 128 + 60 * np.sin(xx / (9 + 4 * k)) * np.cos(yy / (13 + 3 * k)) + rng.normal(0, 6, xx.shape)
        canvases.append(np.clip(texture, 0, 255).astype(np.uint8))
    chroma = np.full((h // 2, w), 128, np.uint8)

    def frames():
        for i in range(seconds * fps):
            shot = (i // (7 * fps)) % len(canvases)
            offset = 2 * (i % (7 * fps))
            yield np.vstack([canvases[shot][:, offset : offset + w], chroma])

    rate = 48000
    audio = synth.noise_floor(rng, seconds * rate, -50)
    for start in range(1, seconds - 3, 6):
        phrase = synth.voice_phrase(np.random.default_rng(start % 7 + 1), rate, 10)
        i = start * rate
        audio[i : i + len(phrase)] += phrase
    tmp = path.with_suffix(".part.mp4")
    write_media(
        tmp,
        frames=frames(),
        frame_rate=fps,
        pixel_format="yuv420p",
        audio=audio,
        sample_rate=rate,
        video_options={"preset": "ultrafast"},
    )
    tmp.replace(path)
    return path


def decode_only(path: Path) -> float:
    """PyAV alone: every video frame (same threading) and the audio resampled to 16 kHz mono."""
    started = time.perf_counter()
    with av.open(str(path)) as container:
        v, a = container.streams.video[0], container.streams.audio[0]
        v.thread_type = "AUTO"
        resampler = av.AudioResampler(format="flt", layout="mono", rate=16000)
        for packet in container.demux(v, a):
            for frame in packet.decode():
                if packet.stream is a:
                    resampler.resample(frame)
    return time.perf_counter() - started


def timed_subprocess(cmd: list[str], env: dict) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of a command, sampled every 50 ms."""
    started = time.perf_counter()
    proc = psutil.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, proc.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()}")
    return wall, peak


class PeakRss:
    """Peak RSS of a running process, sampled in a thread."""

    def __init__(self, pid: int):
        self.process, self.peak, self._stop = psutil.Process(pid), 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.05)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def bench_file(path: Path, repeat: int, env: dict, detect_options: tuple[str, ...] = ()) -> dict:
    from avevents.engine.media.probe import probe

    duration = probe(path).duration_seconds
    avevents = [sys.executable, "-m", "avevents.cli.main"]
    decode = statistics.median(decode_only(path) for _ in range(repeat))
    detect = [*avevents, "detect", str(path), *detect_options, "-q", "--json", os.devnull]
    cold = [timed_subprocess([*detect, "--in-process"], env) for _ in range(repeat)]
    daemon = subprocess.Popen([*avevents, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        info_file = Path(env["AVEVENTS_RUNTIME_DIR"]) / "daemon.json"
        while not info_file.exists():
            if daemon.poll() is not None:
                raise RuntimeError("daemon did not start")
            time.sleep(0.1)
        time.sleep(0.5)
        timed_subprocess([*detect, "--daemon"], env)  # warm-up
        sampler = PeakRss(daemon.pid)
        warm = [timed_subprocess([*detect, "--daemon"], env)[0] for _ in range(repeat)]
        daemon_peak = sampler.stop()
    finally:
        daemon.terminate()
        daemon.wait(30)
    cold_wall = statistics.median(w for w, _ in cold)
    warm_wall = statistics.median(warm)
    return {
        "file": path.name,
        "media_s": duration,
        "decode_s": decode,
        "cold_s": cold_wall,
        "warm_s": warm_wall,
        "cold_ratio": cold_wall / decode,
        "warm_ratio": warm_wall / decode,
        "cold_peak_mb": max(p for _, p in cold) / 1e6,
        "daemon_peak_mb": daemon_peak / 1e6,
        "warm_rtf": duration / warm_wall,
        "cold_rtf": duration / cold_wall,
    }


def print_table(rows: list[dict]) -> None:
    header = (
        "file",
        "media",
        "decode-only",
        "cold in-process",
        "warm daemon",
        "warm/decode",
        "cold/decode",
        "RTF warm",
        "RTF cold",
        "peak RSS cold",
        "peak RSS daemon",
    )
    lines = [header]
    for r in rows:
        lines.append(
            (
                r["file"],
                f"{r['media_s']:.0f} s",
                f"{r['decode_s']:.2f} s",
                f"{r['cold_s']:.2f} s",
                f"{r['warm_s']:.2f} s",
                f"{r['warm_ratio']:.2f}x",
                f"{r['cold_ratio']:.2f}x",
                f"{r['warm_rtf']:.1f}x",
                f"{r['cold_rtf']:.1f}x",
                f"{r['cold_peak_mb']:.0f} MB",
                f"{r['daemon_peak_mb']:.0f} MB",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print(" | ".join(cell.rjust(w) for cell, w in zip(line, widths)))


def main() -> int:
    os.environ.setdefault("AVEVENTS_CACHE", "off")  # measure the analysis, not the result cache
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hour", action="store_true", help="also a one-hour 640x360 file (memory stays flat)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--size", metavar="WxH", help="instead of the 10-minute 720p file: one of this size")
    parser.add_argument("--seconds", type=int, default=600, help="with --size: its length (default: %(default)s)")
    parser.add_argument("--pack", help="detect with this pack (default: the default pack)")
    parser.add_argument("--labels", help="detect these labels (comma-separated)")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    if args.size:
        w, h = (int(v) for v in args.size.lower().split("x"))
        files = [make_file(CACHE / f"{args.seconds}s_{h}p30.mp4", args.seconds, (w, h))]
    else:
        files = [make_file(CACHE / "ten_minutes_720p30.mp4", 600, (1280, 720))]
    if args.hour:
        files.append(make_file(CACHE / "one_hour_360p30.mp4", 3600, (640, 360)))
    options = (*(("--pack", args.pack) if args.pack else ()), *(("--labels", args.labels) if args.labels else ()))
    env = dict(os.environ)
    env["AVEVENTS_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="avb-")
    env["AVEVENTS_CONFIG_DIR"] = tempfile.mkdtemp(prefix="avb-")
    rows = [bench_file(f, args.repeat, env, options) for f in files]
    print(f"avevents benchmark on {os.cpu_count()} CPU(s); medians of {args.repeat} runs")
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
