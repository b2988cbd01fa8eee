"""The bundled AudioSet ontology and the label families drawn from it."""

from __future__ import annotations

import csv
import json

from avevents.models.audioset_ontology import ONTOLOGY, descendants, family

with open(ONTOLOGY.with_name("class_labels_indices.csv"), newline="", encoding="utf-8") as _fh:
    CLASSES = {row["display_name"] for row in csv.DictReader(_fh)}


def test_the_bundled_tree_is_whole_and_names_every_class():
    nodes = json.loads(ONTOLOGY.read_text(encoding="utf-8"))
    ids = {n["id"] for n in nodes}
    assert len(nodes) == len(ids) == 632
    assert all(child in ids for n in nodes for child in n["child_ids"])
    assert {n["name"] for n in nodes} >= CLASSES


def test_families_hold_the_label_and_the_classes_below_it():
    assert family("Laughter", CLASSES) == [
        "Laughter",
        "Baby laughter",
        "Giggle",
        "Snicker",
        "Belly laugh",
        "Chuckle, chortle",
    ]
    assert set(family("Dog", CLASSES)) == {"Dog", "Bark", "Yip", "Howl", "Bow-wow", "Growling", "Whimper (dog)"}
    assert {"Knock", "Slam", "Doorbell"} <= set(family("Door", CLASSES))
    assert family("Applause", CLASSES) == ["Applause"]  # a leaf
    # A node that is no class ("Respiratory sounds") still reaches the classes below it.
    assert {"Cough", "Throat clearing", "Sneeze"} <= set(descendants("Respiratory sounds"))
    assert descendants("no such sound") == []
