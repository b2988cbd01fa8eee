"""Each AudioSet label's operating point: its threshold and release level, and its shortest event.

AudioSet scores are not comparable across labels (speech peaks near 0.8, a clear laugh at 0.3-0.6), so
one threshold for all is wrong for most. The bundled table (``bundled/audioset_operating_points.csv``)
is made by ``bench/calibrate_audioset.py`` from real recordings, by one documented rule:

    threshold = clip(MARGIN x the label's highest slot score on the real recordings that do not
                     hold it (nor a label above or below it in the ontology), FLOOR, CAP)
    release   = threshold x RELEASE_RATIO

so a label fires only above anything it reached on material without it (false alarms on that material:
none), never below FLOOR (where the slot scores of short real sounds begin to blur into room tone) and
never above CAP (a label present but unlabelled in that material must not become unreachable). A label
the table lacks takes FLOOR. ``--sensitivity`` scales these thresholds as it does every detector's.

Shortest events: a knock, bark, clap, cough, door slam or gunshot is shorter than a second, so the labels
under the ontology's impulsive branches keep one slot (0.5 s); the rest one second.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from avevents.core.results import LabelOptions

from .audioset_ontology import descendants

TABLE = Path(__file__).with_name("bundled") / "audioset_operating_points.csv"
MARGIN = 1.5
FLOOR = 0.1
CAP = 0.6
RELEASE_RATIO = 0.5
MERGE_GAP_SECONDS = 1.0
SHORT_EVENT_SECONDS = 0.5  # one analysis slot
EVENT_SECONDS = 1.0
# Branches of the ontology whose sounds are impulses (each with everything below it).
IMPULSIVE = (
    "Generic impact sounds",
    "Explosion",
    "Door",
    "Glass",
    "Wood",
    "Hands",
    "Cough",
    "Sneeze",
    "Hiccup",
    "Burping, eructation",
    "Bark",
    "Yip",
    "Bow-wow",
    "Cupboard open or close",
    "Drawer open or close",
    "Keys jangling",
    "Coin (dropping)",
    "Clicking",
    "Tick",
    "Snap",
    "Crack",
    "Clang",
    "Ding",
    "Ping",
    "Camera",
)


def threshold_for(highest_negative: float) -> float:
    """The rule above, for a label whose highest score on material without it is ``highest_negative``."""
    return float(min(max(MARGIN * highest_negative, FLOOR), CAP))


@cache
def _table() -> dict[str, float]:
    if not TABLE.exists():
        return {}
    with open(TABLE, newline="", encoding="utf-8") as fh:
        return {row["label"]: float(row["threshold"]) for row in csv.DictReader(fh)}


@cache
def _impulsive() -> frozenset[str]:
    return frozenset(name for root in IMPULSIVE for name in (root, *descendants(root)))


def operating_point(label: str) -> LabelOptions:
    """Post-processing defaults of the AudioSet label ``label``."""
    threshold = _table().get(label, FLOOR)
    shortest = SHORT_EVENT_SECONDS if label in _impulsive() else EVENT_SECONDS
    return LabelOptions(threshold, threshold * RELEASE_RATIO, shortest, MERGE_GAP_SECONDS)
