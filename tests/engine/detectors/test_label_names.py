"""AudioSet names that hold commas are accepted whole, even when a comma-separated list cut them up,
and a part shared by several names is refused with all of them."""

from __future__ import annotations

import pytest

from avevents.core.errors import UnknownLabel
from avevents.engine.detectors.registry import Packs, rejoin_names
from avevents.models.audioset_labels import LabelSet, read_labels
from avevents.models.store import BUNDLED_DIR, ModelStore

from ...media_factory import shared_or_skip

NAMES = read_labels(BUNDLED_DIR / "class_labels_indices.csv")


def test_cut_names_are_joined_back_whole():
    assert rejoin_names(["Inside", "large room or hall", "Speech"], NAMES) == ["Inside, large room or hall", "Speech"]
    assert rejoin_names(["chuckle", " CHORTLE "], NAMES) == ["Chuckle, chortle"]
    assert rejoin_names(["Roaring cats (lions", "tigers)"], NAMES) == ["Roaring cats (lions, tigers)"]
    assert rejoin_names(["Dog", "Bark"], NAMES) == ["Dog", "Bark"]  # two names, not one
    assert rejoin_names(["Bee, wasp, etc."], NAMES) == ["Bee, wasp, etc."]


def test_a_part_of_several_names_finds_none_and_lists_them():
    labels = LabelSet(NAMES)
    assert labels.resolve("Baby cry") == "Baby cry, infant cry"  # a part of one name still finds it
    assert labels.resolve("Inside") is None
    with pytest.raises(UnknownLabel, match=r"Inside, small room.*Inside, large room or hall.*Inside, public space"):
        labels.require("Inside", "audioset")


def test_the_pack_resolves_a_cut_list_as_the_cli_sends_it(tmp_path):
    weights = shared_or_skip("models", "efficientat-mn04-as", "mn04_as_mAP_432.pt")
    store = ModelStore(tmp_path / "store", environment=False)
    store.import_files("efficientat-mn04-as", [weights])
    packs = Packs.read(store)
    cut = [x.strip() for x in ["Inside", " large room or hall", "Chuckle", " chortle", "Speech"]]  # as --labels is
    assert packs.resolve_labels("audioset", cut) == ["Inside, large room or hall", "Chuckle, chortle", "Speech"]
