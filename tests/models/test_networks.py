"""Pack kinds as data: every catalog pack with a network is of exactly one kind, and the build and the
resident models take what they need from that kind (no if-chains on pack names)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from avevents.core.errors import RunnerError
from avevents.core.settings import Settings, StoreSettings
from avevents.engine.residency import ResidentModels
from avevents.models import networks
from avevents.models.catalog import PACKS, TAGGER_PACKS, VISION_PACKS, WAV2VEC2_PACKS
from avevents.models.store import InstalledPack


def _pack(name: str, manifest: dict | None = None) -> InstalledPack:
    spec = PACKS[name]
    return InstalledPack(spec, Path("/nonexistent") / name, manifest or {"files": []})


def test_each_catalog_network_is_of_one_kind():
    with_network = [*TAGGER_PACKS, *VISION_PACKS, *WAV2VEC2_PACKS]
    for name in with_network:
        kinds = [k.name for k in networks.KINDS if k.covers(_pack(name))]
        assert len(kinds) == 1, (name, kinds)
    assert networks.kind_of(_pack("efficientat-mn04-as")) is networks.TAGGER
    assert networks.kind_of(_pack("resnet18-imagenet")) is networks.FRAME_ENCODER
    assert networks.kind_of(_pack("wav2vec2-base")).io is None  # transformers, no ONNX form to build
    assert set(PACKS) == set(with_network), "a new catalog pack needs a kind in models/networks.py"


def test_a_trained_pack_is_a_fusion_network_and_a_file_pack_none():
    from avevents.models.catalog import FUSION_TASK

    made_here = replace(PACKS["efficientat-mn04-as"], name="pets")
    assert networks.kind_of(InstalledPack(made_here, Path("/x"), {"task": FUSION_TASK, "files": []})) is networks.FUSION
    with pytest.raises(RunnerError, match="has no network"):
        networks.kind_of(InstalledPack(made_here, Path("/x"), {"files": []}))


def test_each_network_keeps_its_inputs_outputs_and_ranges_together():
    from avevents.models import audioset, vision

    assert networks.TAGGER.io(_pack("efficientat-mn04-as")) == ((audioset.MEL_INPUT,), audioset.OUTPUTS,
                                                               audioset.TAGGER_RANGES)  # fmt: skip
    inputs, _, ranges = networks.FRAME_ENCODER.io(_pack("mobilenet-v2-imagenet"))
    assert inputs == (vision.IMAGE_INPUT,) and set(ranges) == {i.name for i in inputs}


def test_resident_models_list_every_catalog_network_by_its_kind(tmp_path):
    models = ResidentModels(settings=Settings(store=StoreSettings(tmp_path)))
    labels = {s.entry.name: s.entry.labels for s in models.states()}
    for kind in (networks.TAGGER, networks.AUDIO_ENCODER, networks.FRAME_ENCODER):
        for name in kind.catalog_packs:
            assert labels[name] == (kind.task_labels,)
