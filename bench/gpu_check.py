"""The device check for a session lent a GPU: the tagger and the frame encoder on the torch runner (fp32,
fp16, compiled with CUDA graphs, pictures normalised on the device) against ONNX Runtime on the CPU
(parity) and for throughput, plus the mel front end on the GPU against the CPU; one short run.

    AVEVENTS_MODEL_MIRROR=../shared/models python bench/gpu_check.py [--device cuda:0] [--batches 20] [--no-compile]

Prints per network and variant: the largest difference from ONNX Runtime fp32 (probabilities), the median
time of a batch of 32 and 64 (host-side input preparation included: the pictures' normalisation, unless
the variant does it on the device), items per second, and the GPU memory torch holds for it. Then the
mel front end's time for 10 minutes of audio on the CPU and on the device, and their largest difference.
On a machine without CUDA it measures fp32 (and, unless --no-compile, compiled fp32) on the CPU.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_models import median_time


def _probs(logits: np.ndarray, softmax: bool) -> np.ndarray:
    if softmax:
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return 1.0 / (1.0 + np.exp(-logits))


def _networks(store, rng):
    """(label, build, onnx, input spec, outputs, raw batch maker, host preparation, folding, softmax)."""
    from avevents.models.audioset import MEL_INPUT, export_tagger_onnx
    from avevents.models.audioset import OUTPUTS as TAGGER_OUTPUTS
    from avevents.models.catalog import TAGGER_PACKS
    from avevents.models.efficientat import CHECKPOINTS, load_checkpoint
    from avevents.models.pixels import FRAMES_INPUT
    from avevents.models.vision import ARCHITECTURES, IMAGE_INPUT, export_vision_onnx

    tagger = store.installed("efficientat-mn04-as") or store.pull("efficientat-mn04-as")
    checkpoint = next(tagger.file(f["name"]) for f in tagger.manifest["files"] if f["name"].endswith(".pt"))
    config = CHECKPOINTS[TAGGER_PACKS[tagger.spec.name]]
    nets = [
        (
            "efficientat-mn04-as (2 s windows)",
            lambda: load_checkpoint(checkpoint, config),
            export_tagger_onnx(tagger),
            MEL_INPUT,
            TAGGER_OUTPUTS,
            lambda n: rng.standard_normal((n, 1, 128, 200)).astype(np.float32) * 0.5 - 1.0,
            lambda x: x,
            None,
            False,
        )
    ]
    for name in ("mobilenet-v2-imagenet", "resnet18-imagenet"):
        pack = store.installed(name)
        if pack is None and name == "mobilenet-v2-imagenet" and store.mirror is not None:
            pack = store.pull(name)
        if pack is None:
            continue
        arch = ARCHITECTURES[name]
        weights = pack.file(arch.weights(pack))
        nets.append(
            (
                f"{name} (224x224 pictures)",
                lambda arch=arch, weights=weights: arch.load(weights),
                export_vision_onnx(pack),
                IMAGE_INPUT,
                ("logits", "embedding"),
                lambda n: rng.integers(0, 256, (n, 224, 224, 3), dtype=np.uint8),
                arch.pixels,
                (FRAMES_INPUT, arch.pixels.module),
                True,
            )
        )
    return nets


def _variants(cuda: bool, compile_too: bool, foldable: bool):
    """(name, precision, compiled, pictures normalised on the device)."""
    out = [("fp32", "fp32", False, False)]
    if cuda:
        out.append(("fp16", "fp16", False, False))
        if foldable:
            out.append(("fp16 device-norm", "fp16", False, True))
    if compile_too:
        precision = "fp16" if cuda else "fp32"
        out.append((f"{precision} compiled", precision, True, foldable and cuda))
    return out


def _mel_rows(device: str, rng) -> list[str]:
    import torch

    from avevents.models.mel import SAMPLE_RATE, LogMel, StreamingLogMel

    audio = (rng.standard_normal(SAMPLE_RATE * 600) * 0.1).astype(np.float32)
    rows, frames = [], {}
    for where in ["cpu"] + ([device] if device.startswith("cuda") else []):
        stream = StreamingLogMel(LogMel(device=where))
        started = time.perf_counter()
        parts = [stream.push(audio[i : i + SAMPLE_RATE]) for i in range(0, len(audio), SAMPLE_RATE)]
        parts.append(stream.finish())
        if where != "cpu":
            torch.cuda.synchronize(where)
        seconds = time.perf_counter() - started
        frames[where] = np.concatenate(parts, axis=1)
        rows.append(f"mel front end on {where:8} 10 min of audio in {seconds:6.3f} s ({600 / seconds:7.0f}x real time)")
    if len(frames) == 2:
        rows.append(f"mel front end {device} vs cpu: max difference {np.abs(frames[device] - frames['cpu']).max():.2e}")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile variants (slow to build)")
    args = parser.parse_args()
    import torch

    from avevents.models.runners.onnxruntime_runner import OnnxRuntimeRunner
    from avevents.models.runners.torch_runner import TorchRunner
    from avevents.models.store import ModelStore

    device = args.device or ("cuda:0" if torch.cuda.is_available() else "cpu")
    cuda = device.startswith("cuda")
    rng = np.random.default_rng(0)
    nets = _networks(ModelStore(), rng)
    name = torch.cuda.get_device_name(device) if cuda else "CPU"
    print(f"device {device} ({name}), torch {torch.__version__}", flush=True)
    print(
        f"{'network':42} {'variant':17} {'max dp vs ORT':>13} {'ms/32':>7} {'ms/64':>7} {'items/s':>8} {'GPU MB':>7}",
        flush=True,
    )
    for label, build, onnx, spec, outputs, make, prepare, folding, softmax in nets:
        reference = OnnxRuntimeRunner(onnx, (spec,), outputs).activate()
        probe = make(32)
        want = _probs(reference.infer({spec.name: prepare(probe)})["logits"], softmax)
        reference.deactivate()
        for variant, precision, compiled, folded in _variants(cuda, not args.no_compile, folding is not None):
            if cuda:
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats(device)
            if folded:
                folded_spec, wrap = folding
                runner = TorchRunner(
                    lambda b=build, w=wrap: w(b()), (folded_spec,), outputs, device, precision, compile=compiled
                )

                def run(raw, r=runner, n=folded_spec.name):
                    return r.infer({n: raw})
            else:
                runner = TorchRunner(build, (spec,), outputs, device, precision, compile=compiled)

                def run(raw, r=runner, n=spec.name, p=prepare):
                    return r.infer({n: p(raw)})

            runner.activate()
            started = time.perf_counter()
            got = _probs(run(probe)["logits"], softmax)  # the first call compiles, for compiled variants
            first = time.perf_counter() - started
            times = {size: median_time(partial(run, make(size)), args.batches) for size in (32, 64)}
            memory = torch.cuda.max_memory_allocated(device) / 1e6 if cuda else float("nan")
            runner.deactivate()
            print(
                f"{label:42} {variant:17} {np.abs(got - want).max():13.2e} {times[32] * 1e3:7.1f} "
                f"{times[64] * 1e3:7.1f} {64 / times[64]:8.0f} {memory:7.0f}"
                + (f"  (first batch {first:.1f} s)" if compiled else ""),
                flush=True,
            )
    for row in _mel_rows(device, rng):
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
