"""AudioSet's 527 labels: reading them, a curated default set for editors, and resolving names."""

from __future__ import annotations

import csv
import difflib
from pathlib import Path

from avevents.core.errors import UnknownLabel

# What an editor usually wants marked, in AudioSet's own names (Speech and Silence come from the
# built-in detectors, whose boundaries are sharper).
EDITOR_DEFAULTS = (
    "Laughter",
    "Applause",
    "Cheering",
    "Clapping",
    "Crowd",
    "Music",
    "Singing",
    "Dog",
    "Cat",
    "Baby cry, infant cry",
    "Siren",
    "Vehicle horn, car horn, honking",
    "Explosion",
    "Gunshot, gunfire",
    "Door",
    "Knock",
    "Walk, footsteps",
    "Telephone",
    "Alarm",
    "Engine",
    "Bird",
    "Wind",
    "Rain",
    "Thunder",
    "Water",
    "Vehicle",
    "Glass",
    "Whistle",
    "Musical instrument",
    "Drum",
)


def read_labels(path: Path) -> list[str]:
    """Display names in output order (row i of the CSV names output i)."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [row["display_name"] for row in sorted(rows, key=lambda r: int(r["index"]))]


class LabelSet:
    """Name lookup over the 527 labels: exact (any case), or one comma-separated part of a name
    ("Baby cry" finds "Baby cry, infant cry", "Footsteps" finds "Walk, footsteps"). A part that belongs to
    several names ("Inside": a small room, a large room or hall, a public space) finds none of them: the
    error lists them all."""

    def __init__(self, names: list[str]):
        self.names = names
        self.index = {name: i for i, name in enumerate(names)}
        self._folded = {name.casefold(): name for name in names}
        self._parts: dict[str, str] = {}
        self._shared: dict[str, list[str]] = {}  # parts of more than one name
        for name in names:
            for part in name.split(","):
                key = part.strip().casefold()
                owner = self._parts.setdefault(key, name)
                if owner != name:
                    self._shared.setdefault(key, [owner]).append(name)

    def resolve(self, label: str) -> str | None:
        key = label.strip().casefold()
        if key in self._folded:
            return self._folded[key]
        return None if key in self._shared else self._parts.get(key)

    def require(self, label: str, pack: str) -> str:
        name = self.resolve(label)
        if name is None:
            close = self._shared.get(label.strip().casefold()) or difflib.get_close_matches(
                label, self.names, n=3, cutoff=0.6
            )
            if not close:
                close = [
                    self._parts[p] for p in difflib.get_close_matches(label.casefold(), self._parts, n=3, cutoff=0.6)
                ]
            hint = f"; did you mean {', '.join(repr(c) for c in dict.fromkeys(close))}?" if close else ""
            raise UnknownLabel(
                f"unknown label {label!r} for pack {pack!r}{hint} (any of the 527 AudioSet "
                "labels by name; `avevents labels --pack audioset` lists them)"
            )
        return name
