"""Triton: the model repository ``avevents export-triton`` writes, and the triton runner backend driven
against a KServe v2 stand-in serving that repository on loopback, in-process and in a daemon started
with --runner triton; these run in avevents' own environment, test_triton_server.py against a real
Triton where tests/triton-venv.sh made its environment."""

from __future__ import annotations

import numpy as np
import pytest

from avevents.cli.main import main as cli
from avevents.core.results import DetectOptions
from avevents.core.settings import RunnerSettings
from avevents.models.runners import InputSpec
from avevents.models.runners.base import RunnerError
from avevents.models.runners.triton_runner import TritonRunner

from ..conftest import start_daemon
from .kserve_standin import KServeStandIn

PACKS = ("efficientat-mn04-as", "mobilenet-v2-imagenet")


@pytest.fixture(scope="module")
def repository(av_store, tmp_path_factory):
    repo = tmp_path_factory.mktemp("triton-repo")
    for pack in PACKS:
        assert cli(["export-triton", pack, str(repo)]) == 0
    return repo


def test_the_repository_is_what_triton_loads(repository, tmp_path):
    tagger = (repository / "efficientat-mn04-as" / "config.pbtxt").read_text()
    assert 'name: "efficientat-mn04-as"' in tagger and 'platform: "onnxruntime_onnx"' in tagger
    assert "max_batch_size: 64" in tagger and "preferred_batch_size: [ 8, 16, 32 ]" in tagger
    assert 'name: "mel"\n    data_type: TYPE_FP32\n    dims: [ 1, 128, -1 ]' in tagger
    assert 'name: "logits"\n    data_type: TYPE_FP32\n    dims: [ 527 ]' in tagger
    assert 'name: "embedding"\n    data_type: TYPE_FP32\n    dims: [ 384 ]' in tagger
    assert "kind: KIND_GPU" in tagger and (repository / "efficientat-mn04-as" / "1" / "model.onnx").is_file()
    assert cli(["export-triton", "mobilenet-v2-imagenet", str(tmp_path), "--cpu", "--max-batch", "8",
                "--instances", "2"]) == 0  # fmt: skip
    cpu = (tmp_path / "mobilenet-v2-imagenet" / "config.pbtxt").read_text()
    assert "kind: KIND_CPU" in cpu and "count: 2" in cpu and "max_batch_size: 8" in cpu
    assert "dims: [ 3, 224, 224 ]" in cpu and "dims: [ 1001 ]" in cpu
    assert cli(["export-triton", "efficientat-mn04-as", str(tmp_path), "--plan"]) == 2  # no TensorRT here


def test_the_runner_matches_onnxruntime(repository):
    import onnxruntime as ort

    mel = np.random.default_rng(0).normal(0, 1, (3, 1, 128, 200)).astype(np.float32)
    local = ort.InferenceSession(str(repository / "efficientat-mn04-as" / "1" / "model.onnx"))
    want = local.run(["logits", "embedding"], {"mel": mel})
    with KServeStandIn(repository) as server:
        runner = TritonRunner(server.url, "efficientat-mn04-as", (InputSpec("mel", (None, 1, 128, None)),),
                              ("logits", "embedding")).activate()  # fmt: skip
        got = runner.infer({"mel": mel})
        np.testing.assert_allclose(got["logits"], want[0], atol=1e-5)
        np.testing.assert_allclose(got["embedding"], want[1], atol=1e-5)
        many = np.random.default_rng(1).normal(0, 1, (70, 1, 128, 40)).astype(np.float32)
        calls = server.calls
        got = runner.infer({"mel": many})  # over the repository's max_batch_size 64: sent in two parts
        assert runner.max_batch == 64 and server.calls == calls + 2
        np.testing.assert_allclose(got["logits"], local.run(["logits"], {"mel": many})[0], atol=1e-5)
        with pytest.raises(RunnerError, match=r"unknown model.*avevents export-triton nope"):
            TritonRunner(server.url, "nope", (), ()).activate()
        with pytest.raises(RunnerError, match="has no tensor frames"):
            TritonRunner(server.url, "efficientat-mn04-as", (InputSpec("frames", (None, 3)),), ()).activate()
    with pytest.raises(RunnerError, match="not reachable"):
        TritonRunner(server.url, "efficientat-mn04-as", (), ()).activate()


def test_a_daemon_on_the_triton_runner_gives_the_same_events(repository, run_detect, speech_clip):
    local = run_detect(speech_clip.path, pack="audioset", labels=("Music", "Speech"))
    with KServeStandIn(repository) as server:
        daemon = start_daemon("--runner", "triton", "--triton-url", server.url)
        try:
            with daemon.client() as client:
                remote = client.detect(speech_clip.path, DetectOptions(pack="audioset", labels=("Music", "Speech")))
                loaded = {m.name: m for m in client.status().loaded_models}
        finally:
            daemon.stop()
        assert server.calls > 0
    assert "efficientat-mn04-as" in loaded
    key = [(e.label, e.start_seconds, e.end_seconds) for e in local.events]
    assert [(e.label, e.start_seconds, e.end_seconds) for e in remote.events] == key


def test_an_unreachable_server_falls_back_with_a_warning(av_store, monkeypatch, caplog):
    from avevents.models.audioset import AudioSetTagger

    settings = RunnerSettings(backend="triton", triton_url="http://127.0.0.1:9")
    tagger = AudioSetTagger(av_store.installed("efficientat-mn04-as"), settings=settings)
    assert tagger.backend == "onnxruntime" and "triton runner" in caplog.text and "not reachable" in caplog.text
