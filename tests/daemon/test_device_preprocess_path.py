"""A whole detection on the torch runner with its inputs prepared by the runner's device (uint8 pictures
normalised in the module, the mel front end where the tagger runs), forced on here on the CPU: the events
of real recordings equal those of the default ONNX Runtime path with host-side preparation."""

from __future__ import annotations

import pytest

from avevents.core.results import DetectOptions
from avevents.engine.pipeline import detect
from avevents.engine.residency import ResidentModels

LABELS = ("Laughter", "Applause", "Speech", "Dog", "Cat")


def _events(path: str) -> list[tuple]:
    models = ResidentModels()
    try:
        result = detect(path, DetectOptions(labels=LABELS, use_cache=False), models)
        vision = [s.obj for s in models.loaded() if s.entry.name.startswith("mobilenet")]
        return [(e.label, e.start_seconds, e.end_seconds, e.confidence) for e in result.events], vision
    finally:
        for state in models.loaded():
            models.unload(state.entry.name)


def test_device_prepared_inputs_give_the_same_events(av_store, recordings, monkeypatch):
    path = recordings[0]  # laughter over a real picture
    monkeypatch.setenv("AVEVENTS_CROSS_BATCH", "off")
    want, _ = _events(path)
    assert want, "the reference found no events"
    monkeypatch.setenv("AVEVENTS_RUNNER", "torch")
    monkeypatch.setenv("AVEVENTS_DEVICE_PREPROCESS", "on")
    got, vision = _events(path)
    assert vision and all(v.normalizes_on_device and v.backend == "torch" for v in vision)
    assert [e[:3] for e in got] == [e[:3] for e in want]
    assert all(g[3] == pytest.approx(w[3], abs=1e-3) for g, w in zip(got, want))
