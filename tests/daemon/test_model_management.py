"""Model management over gRPC against a live daemon: pull with progress, import, remove, devices."""

from __future__ import annotations

import pytest

from avevents.core import errors

from ..conftest import start_daemon
from ..media_factory import SHARED, shared_or_skip

MN04 = "efficientat-mn04-as"


@pytest.fixture
def store_daemon(tmp_path):
    shared_or_skip("models", MN04, "mn04_as_mAP_432.pt")
    d = start_daemon(
        env_extra={"AVEVENTS_MODEL_STORE": str(tmp_path / "store"), "AVEVENTS_MODEL_MIRROR": str(SHARED / "models")}
    )
    yield d, tmp_path / "store"
    d.stop()


def test_pull_streams_progress_then_the_model_loads_and_unloads(store_daemon):
    d, store = store_daemon
    progress = []
    with d.client() as client:
        before = {m.name: m for m in client.list_models().models}
        assert not before[MN04].available
        with pytest.raises(errors.ModelUnavailable, match="models pull"):
            client.load_model(MN04)
        info = client.pull_model(MN04, lambda *p: progress.append(p))
        assert info.available and (store / MN04 / "manifest.json").exists()
        files = {name for name, _, _ in progress}
        assert "mn04_as_mAP_432.pt" in files
        last = [p for p in progress if p[0] == "mn04_as_mAP_432.pt"][-1]
        assert last[1] == last[2] == 4066513
        assert client.list_models().default_pack == "audioset"
        loaded = client.load_model(MN04)
        assert loaded.loaded and loaded.device == "cpu" and loaded.memory_bytes > 0
        assert client.unload_model(MN04).loaded is False
        assert not client.remove_model(MN04).available
        assert client.list_models().default_pack == "builtin"


def test_import_and_errors(store_daemon):
    d, _ = store_daemon
    with d.client() as client:
        info = client.import_model(MN04, [str(SHARED / "models" / MN04 / "mn04_as_mAP_432.pt")])
        assert info.available
        with pytest.raises(errors.UnknownModel, match="did you mean"):
            client.pull_model("efficientat-mn04")
        with pytest.raises(errors.AvEventsError, match="none of the files"):
            client.import_model(MN04, [str(SHARED / "media" / "audio" / "speech.wav")])
        with pytest.raises(errors.ModelUnavailable, match="not installed"):
            client.remove_model("mobilenet-v2-imagenet")


def test_set_device(store_daemon):
    d, _ = store_daemon
    with d.client() as client:
        reply = client.set_device("cpu")
        assert reply.default_device == "cpu"
        import torch

        if torch.cuda.is_available():
            assert client.set_device("cuda:0").default_device == "cuda:0"
            client.set_device("cpu")
        else:
            with pytest.raises(errors.ModelUnavailable, match="cuda:0"):
                client.set_device("cuda:0")
        with pytest.raises(errors.ModelUnavailable):
            client.set_device("cuda:0", model="silero-vad")  # CPU-only model
        assert client.set_device("cpu", model="silero-vad").default_device == "cpu"


def test_build_engine_streams_progress_and_explains_a_missing_engine(store_daemon):
    import importlib.util
    from pathlib import Path

    d, _ = store_daemon
    stages = []
    with d.client() as client:
        client.pull_model(MN04)
        result = client.build_engine(MN04, on_progress=stages.append)
        assert Path(result.onnx_path).is_file() and result.onnx_path.endswith(".onnx")
        assert any("ONNX export ready" in s for s in stages)
        if importlib.util.find_spec("tensorrt") is None:
            assert not result.engine_path and "avevents[trt]" in result.reason
        with pytest.raises(errors.InvalidRequest, match="precision"):
            client.build_engine(MN04, precision="int4")
        with pytest.raises(errors.UnknownModel):
            client.build_engine("nope")
