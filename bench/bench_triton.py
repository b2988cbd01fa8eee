"""The triton runner against a real Triton Inference Server on loopback, per network, a batch of 32:
in-process ONNX Runtime (the baseline), the runner (binary tensor data), and the same request with JSON
number lists (how the runner sent tensors before), each the median of --repeat.

    sh tests/triton-venv.sh      # once: the server's own environment
    AVEVENTS_MODEL_MIRROR=../shared/models python bench/bench_triton.py [--repeat 5]

The server is the tritonserver bundled by nvidia-pytriton (Python backend running the exported ONNX with
ONNX Runtime on this machine's CPU), so the Triton rows show the protocol's cost, not a GPU server's speed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from bench_models import median_time  # noqa: E402

from tests.models.triton_process import MISSING, TRITON_PYTHON, triton_server  # noqa: E402

NETWORKS = {
    "efficientat-mn04-as": ("mel", (32, 1, 128, 200), "32 windows of 2 s"),
    "mobilenet-v2-imagenet": ("image", (32, 3, 224, 224), "32 pictures"),
}


def json_request(url: str, model: str, name: str, batch: np.ndarray) -> None:
    body = {
        "inputs": [{"name": name, "shape": list(batch.shape), "datatype": "FP32", "data": batch.ravel().tolist()}],
        "outputs": [{"name": "logits"}, {"name": "embedding"}],
    }
    request = urllib.request.Request(
        f"{url}/v2/models/{model}/infer", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=300) as reply:
        outputs = json.loads(reply.read())["outputs"]
    [np.asarray(o["data"], np.float32).reshape(o["shape"]) for o in outputs]


def measure(url: str, model: str, name: str, batch: np.ndarray, repeat: int) -> tuple[float, ...]:
    """Seconds per batch in-process, through the runner, as JSON; then the batch's MiB."""
    import onnxruntime as ort

    from avevents.models.build import build
    from avevents.models.runners import InputSpec
    from avevents.models.runners.triton_runner import TritonRunner
    from avevents.models.store import ModelStore

    local = ort.InferenceSession(str(build(ModelStore(), model, device="", precision="fp32").onnx))
    runner = TritonRunner(url, model, (InputSpec(name, (None, *batch.shape[1:])),), ("logits", "embedding"))
    runner.activate()
    base = median_time(lambda: local.run(None, {name: batch}), repeat)
    binary = median_time(lambda: runner.infer({name: batch}), repeat)
    text = median_time(lambda: json_request(url, model, name, batch), repeat)
    return base, binary, text, batch.nbytes / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not TRITON_PYTHON.exists():
        sys.exit(MISSING)
    from avevents.cli.main import main as cli

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="bench-triton-") as folder:
        for model in NETWORKS:
            if cli(["models", "pull", model]) != 0 or cli(["export-triton", model, folder, "--cpu"]) != 0:
                return 1
        rows = []
        with triton_server(Path(folder)) as url:
            for model, (name, shape, what) in NETWORKS.items():
                batch = rng.normal(0, 1, shape).astype(np.float32)
                rows.append((model, what, *measure(url, model, name, batch, args.repeat)))
    print("| network | batch | MiB in | in-process ORT | Triton, binary | Triton, JSON | binary / ORT | JSON / ORT |")
    print("|---|---|---|---|---|---|---|---|")
    for model, what, base, binary, text, mib in rows:
        print(
            f"| {model} | {what} | {mib:.1f} | {base * 1e3:.0f} ms | {binary * 1e3:.0f} ms | {text * 1e3:.0f} ms "
            f"| {binary / base:.2f}x | {text / base:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
