"""The cross-request batcher over a real ONNX Runtime session: concurrent callers' batches run as one,
each caller gets exactly its own rows back, incompatible shapes are never joined, a failing batch fails
only its caller, and a lone caller is never held back."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

from avevents.core.settings import RunnerSettings
from avevents.models.export import export_onnx
from avevents.models.runners import InputSpec
from avevents.models.runners.base import RunnerError
from avevents.models.runners.batching import CrossRequestBatcher, shared_runner
from avevents.models.runners.onnxruntime_runner import OnnxRuntimeRunner

from .small_nets import TwoOutputNet

FEATURES = InputSpec("mel", (None, 1, 16, None))


@pytest.fixture(scope="module")
def onnx_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("batching") / "net.onnx"
    dynamic = {"mel": {0: "batch", 3: "frames"}, "logits": {0: "batch"}, "embedding": {0: "batch"}}
    net = TwoOutputNet(channels=1, seed=0).eval()
    export_onnx(net, torch.zeros(2, 1, 16, 20), path, "mel", ["logits", "embedding"], dynamic)
    return path


def _runner(onnx_file) -> OnnxRuntimeRunner:
    return OnnxRuntimeRunner(onnx_file, (FEATURES,), ("logits", "embedding"), threads=1)


def _batch(seed: int, rows: int = 8, frames: int = 20) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((rows, 1, 16, frames)).astype(np.float32)


def test_concurrent_callers_share_runs_and_get_their_own_rows(onnx_file):
    alone = _runner(onnx_file).activate()
    batcher = CrossRequestBatcher(_runner(onnx_file), max_batch=24, max_wait_seconds=0.05).activate()
    mismatches: list[str] = []
    start = threading.Barrier(4)

    def caller(who: int) -> None:
        start.wait()
        for k in range(10):
            x = _batch(100 * who + k)
            got, want = batcher.infer({"mel": x}), alone.infer({"mel": x})
            for name in ("logits", "embedding"):
                if got[name].shape != want[name].shape or not np.allclose(got[name], want[name], atol=1e-5):
                    mismatches.append(f"caller {who} call {k} {name}")

    threads = [threading.Thread(target=caller, args=(who,)) for who in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = batcher.stats.snapshot()
    batcher.deactivate()
    assert not mismatches
    assert stats.calls == 40 and stats.rows == 320
    assert stats.merged_runs > 0 and stats.runs < stats.calls  # batches were joined ...
    assert stats.largest_run <= 24  # ... never past the largest batch the device takes


def test_different_shapes_are_never_joined(onnx_file):
    alone = _runner(onnx_file).activate()
    batcher = CrossRequestBatcher(_runner(onnx_file), max_batch=64, max_wait_seconds=0.05).activate()
    results: dict[int, dict] = {}
    inputs = {who: _batch(who, rows=4, frames=20 if who % 2 else 36) for who in range(4)}
    start = threading.Barrier(4)

    def caller(who: int) -> None:
        start.wait()
        for _ in range(5):
            results[who] = batcher.infer({"mel": inputs[who]})

    threads = [threading.Thread(target=caller, args=(who,)) for who in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batcher.deactivate()
    for who, x in inputs.items():
        np.testing.assert_allclose(results[who]["logits"], alone.infer({"mel": x})["logits"], atol=1e-5)
    assert batcher.stats.largest_run <= 8  # two callers of one shape at most, 4 rows each


class _RefusesNegativeFirstValue(OnnxRuntimeRunner):
    """The real session, failing (as a backend can) on batches whose first value is negative."""

    def _infer(self, feeds):
        if (feeds["mel"][:, 0, 0, 0] < 0).any():
            raise RunnerError("this batch cannot run")
        return super()._infer(feeds)


def test_a_failing_batch_fails_only_its_caller(onnx_file):
    inner = _RefusesNegativeFirstValue(onnx_file, (FEATURES,), ("logits", "embedding"), threads=1)
    batcher = CrossRequestBatcher(inner, max_batch=64, max_wait_seconds=0.05).activate()
    good, bad = np.abs(_batch(1)), -np.abs(_batch(2))
    outcome: dict[str, object] = {}
    start = threading.Barrier(2)

    def caller(name: str, x: np.ndarray) -> None:
        start.wait()
        for _ in range(6):
            try:
                outcome[name] = batcher.infer({"mel": x})["logits"].shape
            except RunnerError as exc:
                outcome[name] = str(exc)

    threads = [threading.Thread(target=caller, args=a) for a in (("good", good), ("bad", bad))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batcher.deactivate()
    assert outcome == {"good": (8, 5), "bad": "this batch cannot run"}


def test_a_lone_caller_is_not_held_back(onnx_file):
    batcher = CrossRequestBatcher(_runner(onnx_file), max_batch=64, max_wait_seconds=2.0).activate()
    started = time.monotonic()
    for k in range(5):
        batcher.infer({"mel": _batch(k)})
    waited = time.monotonic() - started
    batcher.deactivate()
    # Waiting for another job's batch would have cost 2 s a call: nobody else uses the model.
    assert waited < 2.0 and batcher.stats.runs == 5 and batcher.stats.merged_runs == 0


def test_unloading_finishes_what_is_queued_then_refuses(onnx_file):
    batcher = CrossRequestBatcher(_runner(onnx_file)).activate()
    assert batcher.infer({"mel": _batch(0)})["logits"].shape == (8, 5)
    batcher.deactivate()
    assert not batcher.inner.active
    with pytest.raises(RunnerError, match="not active"):
        batcher.infer({"mel": _batch(0)})


def test_bad_input_is_refused_before_queueing(onnx_file):
    batcher = CrossRequestBatcher(_runner(onnx_file)).activate()
    with pytest.raises(RunnerError, match="dtype"):
        batcher.infer({"mel": _batch(0).astype(np.float64)})
    assert batcher.stats.calls == 0
    batcher.deactivate()


def test_cross_batching_is_on_for_a_gpu_and_can_be_forced(onnx_file):
    plain = _runner(onnx_file).activate()
    auto, off = RunnerSettings(), RunnerSettings(cross_batching=False)
    assert shared_runner(plain, auto) is plain  # auto: off on the CPU (measured slower there)
    assert shared_runner(plain, off) is plain
    assert off.cross_batching_on("cuda:0") is False
    assert auto.cross_batching_on("cuda:0") and auto.cross_batching_on("http://gpu-box:8000")
    wrapped = shared_runner(plain, RunnerSettings(cross_batching=True, batch_wait_ms=7), max_batch=16)
    assert isinstance(wrapped, CrossRequestBatcher) and wrapped.max_wait_seconds == pytest.approx(0.007)
    assert wrapped.backend == "onnxruntime" and wrapped.max_batch == 16
    wrapped.deactivate()
