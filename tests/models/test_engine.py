"""Everything around the TensorRT runner that runs without a GPU: cache keys, staleness, shape
profiles, and `models build` producing the ONNX and saying why there is no engine."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from avevents.models.engine_cache import EngineCache, ShapeProfile, key_for
from avevents.models.runners import InputSpec, RunnerError
from avevents.models.runners.tensorrt_runner import profiles_for
from avevents.models.store import ModelStore

from ..media_factory import SHARED, shared_or_skip

PROFILE = (ShapeProfile("mel", (1, 1, 128, 32), (32, 1, 128, 200), (64, 1, 128, 1000)),)


def test_every_part_of_the_key_matters_and_stale_plans_go(tmp_path):
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"graph v1")
    key = key_for("mn04", onnx, "NVIDIA H200", "9.0", "10.13.0", "fp16", PROFILE)
    variants = [
        replace(key, gpu_name="NVIDIA L4"),
        replace(key, compute_capability="8.9"),
        replace(key, tensorrt_version="11.0.0"),
        replace(key, precision="fp32"),
        replace(key, profiles=(replace(PROFILE[0], max=(32, 1, 128, 1000)),)),
    ]
    digests = {key.digest(), *(v.digest() for v in variants)}
    assert len(digests) == 6
    onnx.write_bytes(b"graph v2")  # a new export is a new engine
    assert key_for("mn04", onnx, "NVIDIA H200", "9.0", "10.13.0", "fp16", PROFILE).digest() != key.digest()

    cache = EngineCache(tmp_path / "engines")
    assert cache.lookup(key) is None
    old = cache.store(key, b"plan one")
    assert cache.lookup(key) == old and old.read_bytes() == b"plan one"
    new = cache.store(variants[2], b"plan for another TensorRT")  # same model, new key: the old is stale
    assert not old.exists() and cache.lookup(key) is None and cache.lookup(variants[2]) == new
    cache.invalidate(variants[2])
    assert cache.lookup(variants[2]) is None
    with pytest.raises(ValueError):
        key_for("mn04", onnx, "gpu", "9.0", "10", "int4", PROFILE)


def test_profiles_cover_every_dynamic_axis():
    spec = InputSpec("mel", (None, 1, 128, None))
    (profile,) = profiles_for((spec,), {"mel": {0: (1, 32, 64), 3: (32, 200, 1000)}})
    assert profile == ShapeProfile("mel", (1, 1, 128, 32), (32, 1, 128, 200), (64, 1, 128, 1000))
    with pytest.raises(RunnerError, match="axis 3"):
        profiles_for((spec,), {"mel": {0: (1, 32, 64)}})
    with pytest.raises(RunnerError, match="min <= opt <= max"):
        profiles_for((spec,), {"mel": {0: (8, 4, 64), 3: (32, 200, 1000)}})


def test_models_build_makes_the_onnx_and_explains_a_missing_engine(tmp_path):
    shared_or_skip("models", "efficientat-mn04-as")
    ModelStore(tmp_path / "store", SHARED / "models").pull("efficientat-mn04-as")
    env = dict(os.environ, AVEVENTS_MODEL_STORE=str(tmp_path / "store"))
    out = subprocess.run(
        [sys.executable, "-m", "avevents.cli.main", "models", "build", "efficientat-mn04-as"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    onnx = next((tmp_path / "store" / "efficientat-mn04-as" / "onnx").glob("*.onnx"))
    assert f"ONNX: {onnx}" in out.stdout
    if importlib.util.find_spec("tensorrt") is None:
        assert out.returncode == 1 and "pip install 'avevents[trt]'" in out.stdout
    else:  # a machine with TensorRT: an engine, or the reason there is none (no GPU)
        assert "TensorRT engine" in out.stdout or "no TensorRT engine" in out.stdout


def test_explicit_tensorrt_falls_back_with_reasons_logged(tmp_path, caplog):
    """Asked for TensorRT where it cannot run, a model still loads: torch on CUDA is tried next, then
    ONNX Runtime on the CPU, each step logged with its reason."""
    import logging

    import numpy as np
    import torch

    from avevents.models.audioset import AudioSetTagger

    if importlib.util.find_spec("tensorrt") is not None and torch.cuda.is_available():
        pytest.skip("TensorRT can run here: nothing to fall back from")
    shared_or_skip("models", "efficientat-mn04-as")
    pack = ModelStore(tmp_path / "store", SHARED / "models").pull("efficientat-mn04-as")
    with caplog.at_level(logging.WARNING, logger="avevents.models.runners.select"):
        tagger = AudioSetTagger(pack, backend="tensorrt", device="cuda:0")
    expected = ("torch", "cuda:0") if torch.cuda.is_available() else ("onnxruntime", "cpu")
    assert (tagger.backend, tagger.device) == expected
    assert "tensorrt runner on cuda:0 did not start" in caplog.text
    probs, embedding = tagger.score(np.zeros((2, 1, 128, 200), np.float32))
    assert probs.shape == (2, 527) and embedding.shape == (2, 384)
    tagger.close()
