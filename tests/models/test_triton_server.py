"""The triton runner against a real Triton Inference Server on loopback: the ``tritonserver`` bundled by
nvidia-pytriton, serving the repository ``avevents export-triton`` writes (pytriton_repository.py says
how). Its environment is separate (``sh tests/triton-venv.sh``, see the README); without it these tests
skip, and test_triton.py still covers the runner against the KServe v2 stand-in."""

from __future__ import annotations

import json
import time
import urllib.request

import numpy as np
import pytest

from avevents.cli.main import main as cli
from avevents.core.results import DetectOptions
from avevents.daemon.batch import DaemonBatch
from avevents.engine.pipeline import detect
from avevents.engine.residency import ResidentModels
from avevents.models.runners import InputSpec
from avevents.models.runners.base import RunnerError
from avevents.models.runners.triton_runner import TritonRunner
from avevents.models.store import ModelStore

from ..conftest import start_daemon
from .triton_process import MISSING, TRITON_PYTHON, TritonDidNotStart, triton_server

TAGGER, FRAMES = "efficientat-mn04-as", "mobilenet-v2-imagenet"
LABELS = ("Laughter", "Applause", "Speech", "Dog", "Cat")


def _stats(url: str, model: str) -> dict:
    with urllib.request.urlopen(f"{url}/v2/models/{model}/stats", timeout=10) as reply:
        stats = json.loads(reply.read())["model_stats"][0]
    return {"inferences": int(stats.get("inference_count", 0)), "executions": int(stats.get("execution_count", 0))}


@pytest.fixture(scope="module")
def triton(av_store, tmp_path_factory):
    """A real Triton serving both packs (the frame encoder as two CPU instances); yields its URL."""
    if not TRITON_PYTHON.exists():
        pytest.skip(MISSING)
    repository = tmp_path_factory.mktemp("triton-real")
    assert cli(["export-triton", TAGGER, str(repository), "--cpu"]) == 0
    assert cli(["export-triton", FRAMES, str(repository), "--cpu", "--instances", "2"]) == 0
    try:
        with triton_server(repository) as url:
            yield url
    except TritonDidNotStart as exc:
        pytest.fail(f"Triton did not come up: {exc}")


def test_real_triton_answers_as_onnxruntime_does(triton, av_store):
    import onnxruntime as ort

    from avevents.models.build import build

    rng = np.random.default_rng(0)
    cases = {
        TAGGER: ("mel", rng.normal(0, 1, (3, 1, 128, 200)).astype(np.float32)),
        FRAMES: ("image", rng.normal(0, 1, (5, 3, 224, 224)).astype(np.float32)),
    }
    for model, (name, batch) in cases.items():
        local = ort.InferenceSession(str(build(ModelStore(), model, device="", precision="fp32").onnx))
        want = local.run(["logits", "embedding"], {name: batch})
        spec = (InputSpec(name, (None, *batch.shape[1:])),)
        got = TritonRunner(triton, model, spec, ("logits", "embedding")).activate().infer({name: batch})
        np.testing.assert_allclose(got["logits"], want[0], atol=1e-5)
        np.testing.assert_allclose(got["embedding"], want[1], atol=1e-5)


def test_batches_over_the_servers_limit_go_in_parts(triton, av_store):
    import onnxruntime as ort

    from avevents.models.build import build

    mel = np.random.default_rng(1).normal(0, 1, (70, 1, 128, 40)).astype(np.float32)
    runner = TritonRunner(triton, TAGGER, (InputSpec("mel", (None, 1, 128, None)),), ("logits",)).activate()
    assert runner.max_batch == 64  # from the server's configuration API: the repository's max_batch_size
    before = _stats(triton, TAGGER)["inferences"]
    got = runner.infer({"mel": mel})
    deadline = time.monotonic() + 10  # Triton records a request's statistics just after it answers
    while _stats(triton, TAGGER)["inferences"] < before + 70 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _stats(triton, TAGGER)["inferences"] == before + 70
    want = ort.InferenceSession(str(build(ModelStore(), TAGGER, device="", precision="fp32").onnx)).run(
        ["logits"], {"mel": mel}
    )
    np.testing.assert_allclose(got["logits"], want[0], atol=1e-5)
    whole = np.zeros((65, 1, 128, 40), np.float32)  # sent whole, the server itself refuses it
    runner.max_batch = 0
    with pytest.raises(RunnerError, match="batch"):
        runner.infer({"mel": whole})


def test_real_triton_errors_are_runner_errors(triton):
    with pytest.raises(RunnerError, match="unknown model"):
        TritonRunner(triton, "no-such-pack", (), ()).activate()
    loose = TritonRunner(triton, FRAMES, (InputSpec("image", (None, 3, None, None)),), ("logits",)).activate()
    with pytest.raises(RunnerError, match=r"answered 400 .*unexpected shape"):  # Triton checks the config's dims
        loose.infer({"image": np.zeros((2, 3, 100, 100), np.float32)})
    with pytest.raises(RunnerError, match="has no tensor frames"):  # a repository from another pack version
        TritonRunner(triton, FRAMES, (InputSpec("frames", (None, 224, 224, 3), "uint8"),), ("logits",)).activate()


def test_a_daemon_on_real_triton_gives_the_events_of_in_process_onnxruntime(triton, av_store, recordings):
    paths = recordings[:2]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AVEVENTS_CROSS_BATCH", "off")
        models = ResidentModels()
        want = {p: detect(p, DetectOptions(labels=LABELS, use_cache=False), models).events for p in paths}
        for state in models.loaded():
            models.unload(state.entry.name)
    assert any(want.values()), "the reference found no events"
    before = {m: _stats(triton, m) for m in (TAGGER, FRAMES)}
    daemon = start_daemon("--runner", "triton", "--triton-url", triton, "--jobs", "2",
                          env_extra={"AVEVENTS_MODEL_STORE": str(av_store.root)})  # fmt: skip
    try:
        batch = DaemonBatch(daemon.address)
        requests = [{"path": p, "start": 0.0, "end": 40.0} for p in paths]
        outcomes = batch.detect(requests, {"labels": list(LABELS)})
        batch.close()
        with daemon.client() as client:
            loaded = {m.name: m for m in client.status().loaded_models}
    finally:
        daemon.stop()
    assert {TAGGER, FRAMES} <= set(loaded)
    for index, path in enumerate(paths):
        assert "events" in outcomes[index], outcomes[index]
        got = [(e["label"], e["start_seconds"], e["end_seconds"], e["confidence"]) for e in outcomes[index]["events"]]
        ref = [(e.label, e.start_seconds, e.end_seconds, e.confidence) for e in want[path]]
        assert [g[:3] for g in got] == [r[:3] for r in ref], path
        assert all(abs(g[3] - r[3]) < 1e-3 for g, r in zip(got, ref)), path
    after = {m: _stats(triton, m) for m in (TAGGER, FRAMES)}
    for model in (TAGGER, FRAMES):  # the server did the work, every window and picture
        assert after[model]["inferences"] > before[model]["inferences"], model
