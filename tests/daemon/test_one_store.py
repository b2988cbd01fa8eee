"""A warm detect reads the model store through the one store of the resident models: it used to build a
ModelStore seven times per request (each a fresh look at the disk that could disagree with the last)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from avevents.core.results import DetectOptions
from avevents.engine.pipeline import detect
from avevents.engine.residency import ResidentModels
from avevents.models import store as store_module

from .inprocess_server import client_for, serving


def _counting(monkeypatch) -> list[int]:
    made = [0]
    real = store_module.ModelStore.__init__

    def counted(self, *args, **kwargs):
        made[0] += 1
        real(self, *args, **kwargs)

    monkeypatch.setattr(store_module.ModelStore, "__init__", counted)
    return made


def test_a_warm_detect_makes_no_model_store(speech_clip, monkeypatch):
    models = ResidentModels()
    options = DetectOptions(labels=("Speech", "Silence"))
    detect(str(speech_clip.path), options, models)  # warm: models loaded
    made = _counting(monkeypatch)
    detect(str(speech_clip.path), options, models)
    assert made[0] == 0
    with tempfile.TemporaryDirectory(prefix="av-") as folder:  # short: a Unix socket path
        socket_path = Path(folder) / "d.sock"
        with serving(models, socket_path), client_for(socket_path) as client:
            result = client.detect(str(speech_clip.path), options)
            client.list_models()
    assert result.events and made[0] == 0
