"""The tagger installs from its weights file alone, offline: the AudioSet class list ships with avevents."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from avevents.core.errors import DownloadFailed
from avevents.models import store as store_module
from avevents.models.catalog import AUDIOSET_LABELS
from avevents.models.files import sha256_of
from avevents.models.store import ModelStore

from ..media_factory import SHARED, shared_or_skip

WEIGHTS = ("models", "efficientat-mn04-as", "mn04_as_mAP_432.pt")


def test_the_shipped_class_list_is_the_published_file():
    shipped = store_module.BUNDLED_DIR / AUDIOSET_LABELS.name
    assert sha256_of(shipped) == AUDIOSET_LABELS.sha256
    assert len(shipped.read_text().splitlines()) == 528  # a header and 527 labels


def test_models_import_of_the_weights_alone_works_offline(tmp_path):
    weights = shared_or_skip(*WEIGHTS)
    env = {**os.environ, "AVEVENTS_MODEL_STORE": str(tmp_path / "store")}
    env.pop("AVEVENTS_MODEL_MIRROR", None)  # nothing to fall back on: the class list must be the shipped one
    done = subprocess.run(
        [sys.executable, "-m", "avevents.cli.main", "models", "import", "efficientat-mn04-as", str(weights)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pack = ModelStore(tmp_path / "store", environment=False).require("efficientat-mn04-as")
    assert sha256_of(pack.file(AUDIOSET_LABELS.name)) == AUDIOSET_LABELS.sha256


def test_a_shipped_copy_that_does_not_match_is_refused(tmp_path, monkeypatch):
    shared_or_skip(*WEIGHTS)
    (tmp_path / "bundled").mkdir()
    (tmp_path / "bundled" / AUDIOSET_LABELS.name).write_text("index,mid,display_name\n0,/m/x,Not AudioSet\n")
    monkeypatch.setattr(store_module, "BUNDLED_DIR", tmp_path / "bundled")
    store = ModelStore(tmp_path / "store", environment=False)
    with pytest.raises(DownloadFailed, match="expected"):
        store.import_files("efficientat-mn04-as", [SHARED.joinpath(*WEIGHTS)])
