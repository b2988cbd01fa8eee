"""Marker colours per label, for every editor (standard library only): a documented default palette over
Resolve's 16 marker colours, which the user can edit in a JSON file (``{"Laughter": "Lemon", "Dog": "Sky"}``),
and each editor's own colours for those 16 names.

Labels not in the palette get a stable colour from the spare ones (the same label, the same colour on
every run and machine).
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

COLORS = (
    "Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia",
    "Rose", "Lavender", "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream",
)  # fmt: skip
# Each editor's marker colour for a palette colour. Resolve's AddMarker takes the palette's names as they are;
# OTIO has fewer colours, so near ones share.
RESOLVE_COLORS = {c: c for c in COLORS}
OTIO_COLORS = {
    "Blue": "BLUE", "Cyan": "CYAN", "Green": "GREEN", "Yellow": "YELLOW", "Red": "RED", "Pink": "PINK",
    "Purple": "PURPLE", "Fuchsia": "MAGENTA", "Rose": "PINK", "Lavender": "PURPLE", "Sky": "CYAN",
    "Mint": "GREEN", "Lemon": "YELLOW", "Sand": "ORANGE", "Cocoa": "BLACK", "Cream": "WHITE",
}  # fmt: skip
# Avid Media Composer's eight locator colours (red, green, blue, cyan, magenta, yellow, black, white), the
# nearest for each palette colour: its marker lists and EDL LOC lines hold these.
AVID_COLORS = {
    c: {"PINK": "magenta", "ORANGE": "yellow", "PURPLE": "magenta"}.get(o, o.lower()) for c, o in OTIO_COLORS.items()
}
# The user's palette file keeps its first name: files written for the Resolve plugin work unchanged.
PALETTE_FILE = "resolve_palette.json"

DEFAULT_PALETTE = {
    "Speech": "Blue",
    "Silence": "Cocoa",
    "Transient": "Sand",
    "Scene cut": "Red",
    "Music": "Purple",
    "Singing": "Lavender",
    "Laughter": "Yellow",
    "Applause": "Green",
    "Clapping": "Green",
    "Cheering": "Mint",
    "Crowd": "Mint",
    "Dog": "Cyan",
    "Bark": "Cyan",
    "Cat": "Sky",
    "Baby cry, infant cry": "Rose",
    "Siren": "Fuchsia",
    "Explosion": "Fuchsia",
    "Gunshot, gunfire": "Fuchsia",
    "Vehicle horn, car horn, honking": "Pink",
    "Engine": "Pink",
    "Telephone": "Lemon",
    "Alarm": "Lemon",
}
SPARE = ("Cream", "Lemon", "Sky", "Rose", "Sand", "Lavender", "Pink", "Mint")


class PaletteError(ValueError):
    """The palette file names a colour Resolve does not have, or is not JSON."""


def load_palette(path: Path | None) -> dict[str, str]:
    """The default palette with the user's file (when it exists) laid over it."""
    palette = dict(DEFAULT_PALETTE)
    if path is None or not Path(path).is_file():
        return palette
    try:
        user = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PaletteError(f"{path}: not a JSON object of label -> colour ({exc})") from None
    if not isinstance(user, dict):
        raise PaletteError(f"{path}: not a JSON object of label -> colour")
    by_fold = {c.casefold(): c for c in COLORS}
    for label, color in user.items():
        canonical = by_fold.get(str(color).casefold())
        if canonical is None:
            raise PaletteError(f"{path}: {label!r} -> {color!r} is not a Resolve marker colour ({', '.join(COLORS)})")
        palette[str(label)] = canonical
    return palette


def color_for(label: str, palette: dict[str, str]) -> str:
    """The palette colour (one of ``COLORS``) for ``label``: exact, then case-insensitive, then a stable spare."""
    if label in palette:
        return palette[label]
    folded = {k.casefold(): v for k, v in palette.items()}
    if label.casefold() in folded:
        return folded[label.casefold()]
    return SPARE[zlib.crc32(label.encode("utf-8")) % len(SPARE)]
