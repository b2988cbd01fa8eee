"""Unloading a model gives its memory back (CPU path), measured in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from avevents.models.store import ModelStore

from ..media_factory import SHARED, shared_or_skip

SCRIPT = """
import json, numpy as np, psutil
from avevents.engine.residency import ResidentModels
import torch  # loaded in any daemon that has run the tagger; keeps the baseline honest
rss = lambda: psutil.Process().memory_info().rss
models = ResidentModels()
rows = []
for _ in range(3):
    models.load("mobilenet-v2-imagenet")
    models.get("mobilenet-v2-imagenet").encode(np.zeros((32, 224, 224, 3), np.uint8))
    loaded = rss()
    models.unload("mobilenet-v2-imagenet")
    rows.append((loaded, rss()))
print(json.dumps(rows))
"""


def test_unload_returns_memory(tmp_path):
    shared_or_skip("models", "mobilenet-v2-imagenet")
    ModelStore(tmp_path / "store", SHARED / "models").pull("mobilenet-v2-imagenet")
    env = dict(os.environ, AVEVENTS_MODEL_STORE=str(tmp_path / "store"))
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300, check=True
    )
    rows = json.loads(out.stdout.strip().splitlines()[-1])
    (_, first_unloaded), *later = rows
    for loaded, unloaded in later:
        assert loaded - unloaded > 30e6, rows  # what the loaded model held is given back ...
        assert unloaded - first_unloaded < 15e6, rows  # ... and repeated load/unload does not accumulate
