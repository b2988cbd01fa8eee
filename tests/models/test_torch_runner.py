"""The torch runner's compiled mode (``torch.compile``; CUDA graphs on a GPU): batches padded to a few
fixed sizes, results equal to eager execution row for row, compiled once per size."""

from __future__ import annotations

import numpy as np
import pytest

from avevents.core.settings import RunnerSettings
from avevents.models.runners import InputSpec
from avevents.models.runners.select import make_runner
from avevents.models.runners.torch_runner import COMPILE_BATCHES, TorchRunner, compile_bucket

from .small_nets import TwoOutputNet

SPEC = InputSpec("x", (None, 3, 16, 16))


def small_net() -> TwoOutputNet:
    return TwoOutputNet(channels=3, seed=3)


def test_batches_pad_to_a_few_sizes():
    assert [compile_bucket(n) for n in (1, 8, 9, 32, 33, 64, 65)] == [8, 8, 16, 32, 64, 64, 64]
    assert COMPILE_BATCHES[-1] == 64  # the cross-request batcher's largest


def test_compiled_runs_equal_eager_row_for_row():
    eager = TorchRunner(small_net, (SPEC,), ("logits", "embedding")).activate()
    compiled = TorchRunner(small_net, (SPEC,), ("logits", "embedding"), compile=True).activate()
    rng = np.random.default_rng(0)
    for rows in (3, 20, 70):  # padded to 8 and 32; 70 runs as 64 + 6 (padded to 8)
        x = rng.standard_normal((rows, 3, 16, 16)).astype(np.float32)
        want, got = eager.infer({"x": x}), compiled.infer({"x": x})
        for name in ("logits", "embedding"):
            assert got[name].shape == want[name].shape == (rows, 5 if name == "logits" else 8)
            np.testing.assert_allclose(got[name], want[name], atol=1e-5)
    assert compiled.compiled_batches == {8, 32, 64}
    compiled.deactivate()
    with pytest.raises(Exception, match="not active"):
        compiled.infer({"x": np.zeros((1, 3, 16, 16), np.float32)})


def test_compiling_is_an_opt_in_passed_to_the_torch_runner(tmp_path):
    assert not RunnerSettings().torch_compile
    kwargs = dict(build=small_net, onnx_path=lambda: tmp_path / "unused.onnx", inputs=(SPEC,), outputs=("logits",))
    assert make_runner("torch", "cpu", **kwargs).compile is False
    assert make_runner("torch", "cpu", **kwargs, settings=RunnerSettings(torch_compile=True)).compile is True
