"""The device check for a session lent a GPU: the tagger and the frame encoder on the torch runner, fp32
and fp16, against ONNX Runtime on the CPU (parity) and for throughput; one short run.

    AVEVENTS_MODEL_MIRROR=../shared/models python bench/gpu_check.py [--device cuda:0] [--batches 20]

Prints per network and precision: the largest difference from ONNX Runtime fp32 (probabilities), the
median time of a batch of 32 and 64, items per second, and the GPU memory torch holds for it. On a machine
without CUDA it measures torch fp32 on the CPU and says fp16 needs CUDA.
"""

from __future__ import annotations

import argparse
import sys
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="")
    parser.add_argument("--batches", type=int, default=20)
    args = parser.parse_args()
    import torch

    from avevents.models.audioset import MEL_INPUT, export_tagger_onnx
    from avevents.models.audioset import OUTPUTS as TAGGER_OUTPUTS
    from avevents.models.catalog import TAGGER_PACKS
    from avevents.models.efficientat import CHECKPOINTS, load_checkpoint
    from avevents.models.runners.onnxruntime_runner import OnnxRuntimeRunner
    from avevents.models.runners.torch_runner import TorchRunner
    from avevents.models.store import ModelStore
    from avevents.models.vision import ARCHITECTURES, IMAGE_INPUT, export_vision_onnx

    device = args.device or ("cuda:0" if torch.cuda.is_available() else "cpu")
    store = ModelStore()
    rng = np.random.default_rng(0)
    nets = []
    tagger = store.installed("efficientat-mn04-as") or store.pull("efficientat-mn04-as")
    checkpoint = next(tagger.file(f["name"]) for f in tagger.manifest["files"] if f["name"].endswith(".pt"))
    config = CHECKPOINTS[TAGGER_PACKS[tagger.spec.name]]
    nets.append(
        (
            "efficientat-mn04-as (2 s windows)",
            lambda: load_checkpoint(checkpoint, config),
            export_tagger_onnx(tagger),
            MEL_INPUT,
            TAGGER_OUTPUTS,
            lambda n: rng.standard_normal((n, 1, 128, 200)).astype(np.float32) * 0.5 - 1.0,
            False,
        )
    )
    for name in ("mobilenet-v2-imagenet", "resnet18-imagenet"):
        pack = store.installed(name)
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
                lambda n, arch=arch: arch.preprocess(rng.integers(0, 256, (n, 224, 224, 3), dtype=np.uint8)),
                True,
            )
        )
    name = torch.cuda.get_device_name(device) if device.startswith("cuda") else "CPU"
    print(f"device {device} ({name}), torch {torch.__version__}")
    print(
        f"{'network':42} {'precision':9} {'max dp vs ORT':>15} {'ms/32':>7} {'ms/64':>7} {'items/s':>8} {'GPU MB':>7}"
    )
    for label, build, onnx, spec, outputs, make, softmax in nets:
        reference = OnnxRuntimeRunner(onnx, (spec,), outputs).activate()
        probe = make(32)
        want = _probs(reference.infer({spec.name: probe})["logits"], softmax)
        reference.deactivate()
        for precision in ("fp32", "fp16"):
            if precision == "fp16" and not device.startswith("cuda"):
                print(f"{label:42} {precision:9} fp16 needs CUDA")
                continue
            if device.startswith("cuda"):
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats(device)
            runner = TorchRunner(build, (spec,), outputs, device, precision).activate()
            got = _probs(runner.infer({spec.name: probe})["logits"], softmax)
            times = {}
            for size in (32, 64):
                feeds = {spec.name: make(size)}
                times[size] = median_time(partial(runner.infer, feeds), args.batches)
            memory = torch.cuda.max_memory_allocated(device) / 1e6 if device.startswith("cuda") else float("nan")
            runner.deactivate()
            print(
                f"{label:42} {precision:9} {np.abs(got - want).max():15.2e} {times[32] * 1e3:7.1f} "
                f"{times[64] * 1e3:7.1f} {64 / times[64]:8.0f} {memory:7.0f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
