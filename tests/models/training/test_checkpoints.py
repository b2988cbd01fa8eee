"""Training checkpoints are read with ``weights_only=True``: a crafted ``last.pt`` is refused in one line
and nothing of it runs; a normal interrupted run still resumes. Small random data, CPU seconds, no encoders."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from avevents.cli.main import main as cli
from avevents.core.errors import InvalidRequest
from avevents.models.fusion import FusionConfig
from avevents.models.training.loop import BEST, LAST, FitOptions, SequenceData, check_plain, fit, read_checkpoint

CONFIG = FusionConfig(("Bark", "Speech", "background"), "a", "v", 8, 6, hidden=16, segment_seconds=1.0, exclusive=True)


def _data(config: FusionConfig = CONFIG, n: int = 8, t: int = 10) -> SequenceData:
    """Random sequences of ``config``'s sizes (a fixed seed)."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, len(config.labels), (n, t))
    return SequenceData(
        rng.normal(size=(n, t, config.audio_dim)).astype(np.float32),
        rng.normal(size=(n, t, config.video_dim)).astype(np.float32),
        np.ones((n, t, 2), np.float32),
        labels,
        np.tile(np.array([[0.2, 0.6]], np.float32), (n, 1)),
    )


class _WritesMarker:
    """Unpickling this with code execution allowed opens ``path`` for writing: the marker file appears."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _crafted(work, marker):
    """A ``last.pt`` whose unpickling would run code (create ``marker``)."""
    work.mkdir(parents=True, exist_ok=True)
    payload = {"model": {}, "optimiser": {}, "schedule": {}, "history": [], "best": _WritesMarker(marker), "epoch": 0}
    torch.save(payload, work / LAST)
    assert not marker.exists()
    return work / LAST


def test_a_crafted_checkpoint_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = _crafted(tmp_path / "work", marker)
    with pytest.raises(InvalidRequest, match="is refused") as caught:
        fit(CONFIG, _data(), None, FitOptions(epochs=2), tmp_path / "work", resume=True)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and "io.open" in message
    assert not marker.exists()


def test_the_cli_refuses_a_crafted_checkpoint_before_any_work(tmp_path, capsys):
    marker = tmp_path / "pwned"
    work = tmp_path / "work"
    _crafted(work, marker)
    code = cli(["train", "--ave", str(tmp_path / "none"), "--videos", str(tmp_path), "--name", "x",
                "--work-dir", str(work), "--resume"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and err[0].startswith("error: ") and "is refused" in err[0]
    assert not marker.exists()


def test_a_damaged_or_foreign_checkpoint_is_refused_in_one_line(tmp_path):
    (tmp_path / LAST).write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InvalidRequest, match="not a readable checkpoint") as caught:
        read_checkpoint(tmp_path / LAST)
    assert "\n" not in str(caught.value)
    torch.save({"weights": torch.zeros(2)}, tmp_path / LAST)
    with pytest.raises(InvalidRequest, match="not a training checkpoint"):
        read_checkpoint(tmp_path / LAST)
    other = FusionConfig(("a", "background"), "a", "v", 4, 4, hidden=8, exclusive=True)
    fit(other, _data(other), None, FitOptions(epochs=1), tmp_path)  # a real checkpoint of another network
    with pytest.raises(InvalidRequest, match="another network") as caught:
        fit(CONFIG, _data(), None, FitOptions(epochs=2), tmp_path, resume=True)
    assert "\n" not in str(caught.value)


def test_a_normal_run_resumes_from_a_weights_only_checkpoint(tmp_path):
    data = _data()
    fit(CONFIG, data, None, FitOptions(epochs=2, patience=50), tmp_path)
    for name in (LAST, BEST):  # both load without unpickling anything but tensors and plain values
        assert isinstance(torch.load(tmp_path / name, map_location="cpu", weights_only=True), dict)
    assert read_checkpoint(tmp_path / LAST)["epoch"] == 1
    seen = []
    result = fit(CONFIG, data, None, FitOptions(epochs=4, patience=50), tmp_path, resume=True, progress=seen.append)
    assert [h["epoch"] for h in result.history] == [0, 1, 2, 3] and seen[0]["epoch"] == 2
    assert read_checkpoint(tmp_path / LAST)["epoch"] == 3


def test_saving_refuses_what_weights_only_would_refuse():
    check_plain({"a": [1, 2.5, "x", None, (torch.zeros(1),)], 3: {"b": True}})
    for bad in ({"loss": np.float64(0.5)}, {"rows": np.zeros(2)}, {"config": CONFIG}, {1.5: 1}):
        with pytest.raises(TypeError):
            check_plain(bad)
    with pytest.raises(pickle.UnpicklingError):  # what check_plain protects against at resume time
        import io

        buffer = io.BytesIO()
        torch.save({"x": np.float64(0.5)}, buffer)
        buffer.seek(0)
        torch.load(buffer, weights_only=True)
