"""Throughput of the learned models per backend, and the AudioSet pack on the 10-minute file.

    python bench/bench_models.py        # needs the tagger: installed, or AVEVENTS_MODEL_MIRROR=../shared/models

Prints windows/s of the EfficientAT tagger (2 s windows, batch 32) on each available backend, Silero
VAD windows/s, and wall time / real-time factor of the builtin and audioset packs on
bench/.cache/ten_minutes_720p30.mp4 (made by bench_detect.py), against PyAV's decode-only time.
Medians of --repeat runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent


def median_time(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    os.environ.setdefault("AVEVENTS_CACHE", "off")  # measure the analysis, not the result cache
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--compile", action="store_true", help="also torch.compile'd torch rows (a minute or more to compile each)"
    )
    args = parser.parse_args()

    from avevents.models.audioset import AudioSetTagger
    from avevents.models.store import ModelStore

    store = ModelStore()
    if store.installed("efficientat-mn04-as") is None:
        if store.mirror is None:
            print(
                "the tagger is not installed: avevents models pull efficientat-mn04-as (or set AVEVENTS_MODEL_MIRROR)"
            )
            return 2
        store = ModelStore(Path(tempfile.mkdtemp(prefix="avbm-")), store.mirror)
        os.environ["AVEVENTS_MODEL_STORE"] = str(store.root)
        store.pull("efficientat-mn04-as")
    pack = store.require("efficientat-mn04-as")
    vision_pack = store.installed("mobilenet-v2-imagenet")
    if vision_pack is None and store.mirror is not None:
        vision_pack = store.pull("mobilenet-v2-imagenet")

    rows = []
    batch = np.random.default_rng(0).standard_normal((32, 1, 128, 200)).astype(np.float32) - 1.0
    backends = ("onnxruntime", "torch") + (("torch compiled",) if args.compile else ())
    for backend in backends:
        os.environ["AVEVENTS_TORCH_COMPILE"] = "on" if backend == "torch compiled" else "off"
        tagger = AudioSetTagger(pack, backend=backend.split()[0], device="cpu")
        seconds = median_time(lambda t=tagger: t.score(batch), args.repeat)
        rows.append(
            (
                f"EfficientAT mn04, {backend} cpu",
                f"{32 / seconds:.0f} windows/s",
                f"{32 / seconds * 0.5:.0f}x real time at 0.5 s hop",
            )
        )
        tagger.close()

    if vision_pack is not None:
        from avevents.models.vision import VisionEncoder

        frames = np.random.default_rng(2).integers(0, 255, (32, 224, 224, 3), dtype=np.uint8)
        for backend in backends:
            os.environ["AVEVENTS_TORCH_COMPILE"] = "on" if backend == "torch compiled" else "off"
            encoder = VisionEncoder(vision_pack, backend=backend.split()[0], device="cpu")
            seconds = median_time(lambda e=encoder: e.encode(frames), args.repeat)
            rows.append(
                (
                    f"MobileNetV2, {backend} cpu",
                    f"{32 / seconds:.0f} frames/s",
                    f"{32 / seconds / 2:.0f}x real time at 2 pictures/s",
                )
            )
            encoder.close()

        os.environ["AVEVENTS_TORCH_COMPILE"] = "off"
        # The host-side preparation a GPU runner moves onto the device (models/pixels.py, audioset.mel_device).
        from avevents.models.mobilenet_v2 import PIXELS

        seconds = median_time(lambda: PIXELS(frames), args.repeat)
        rows.append(("picture normalisation on the host (NumPy), 32 frames", f"{seconds * 1e3:.1f} ms", ""))

    from avevents.models.mel import SAMPLE_RATE, StreamingLogMel

    audio = np.random.default_rng(3).standard_normal(SAMPLE_RATE * 60).astype(np.float32) * 0.1

    def mel_minute() -> None:
        stream = StreamingLogMel()
        for i in range(0, len(audio), SAMPLE_RATE):
            stream.push(audio[i : i + SAMPLE_RATE])
        stream.finish()

    seconds = median_time(mel_minute, args.repeat)
    rows.append(
        (
            "log-mel front end on the host (torch cpu), 60 s of audio",
            f"{seconds * 1e3:.0f} ms",
            f"{60 / seconds:.0f}x real time",
        )
    )

    from avevents.models.silero_vad import SileroVad

    vad = SileroVad()
    audio = np.random.default_rng(1).standard_normal(16000 * 60).astype(np.float32) * 0.1
    seconds = median_time(lambda: vad.stream().push(audio), args.repeat)
    rows.append(
        (
            "Silero VAD, onnxruntime cpu",
            f"{len(audio) // 512 / seconds:.0f} windows/s",
            f"{60 / seconds:.0f}x real time",
        )
    )

    media = ROOT / ".cache" / "ten_minutes_720p30.mp4"
    if media.exists():
        sys.path.insert(0, str(ROOT))
        from bench_detect import decode_only

        from avevents.core.results import DetectOptions
        from avevents.engine.pipeline import detect
        from avevents.engine.residency import ResidentModels

        models = ResidentModels()
        decode = statistics.median(decode_only(media) for _ in range(args.repeat))
        rows.append(("decode-only (PyAV), 10-min 720p", f"{decode:.2f} s", f"{600 / decode:.0f}x real time"))
        for pack_name in ("builtin", "audioset"):
            wall = median_time(lambda p=pack_name: detect(str(media), DetectOptions(pack=p), models), args.repeat)
            rows.append(
                (
                    f"pack {pack_name}{' (audio-visual)' if pack_name == 'audioset' and vision_pack else ''}, "
                    "default labels, 10-min 720p",
                    f"{wall:.2f} s",
                    f"{600 / wall:.0f}x real time, {wall / decode:.2f}x decode",
                )
            )
    else:
        rows.append(("(run bench_detect.py first for the 10-minute file)", "", ""))

    print(f"avevents model benchmark on {os.cpu_count()} CPU(s); medians of {args.repeat} runs")
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
