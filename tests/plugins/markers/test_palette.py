"""The shared palette: defaults, the user's file, stable spare colours, and each editor's colours."""

from __future__ import annotations

import json

import pytest

from avevents.plugins.markers.palette import (
    COLORS,
    DEFAULT_PALETTE,
    OTIO_COLORS,
    RESOLVE_COLORS,
    SPARE,
    PaletteError,
    color_for,
    load_palette,
)


def test_every_palette_colour_has_each_editors_colour():
    assert set(DEFAULT_PALETTE.values()) <= set(COLORS) and set(SPARE) <= set(COLORS)
    assert set(RESOLVE_COLORS) == set(OTIO_COLORS) == set(COLORS) and len(COLORS) == 16
    assert all(RESOLVE_COLORS[c] == c for c in COLORS)  # Resolve takes the names as they are
    assert OTIO_COLORS["Fuchsia"] == "MAGENTA" and OTIO_COLORS["Sand"] == "ORANGE"


def test_the_users_file_lays_over_the_defaults(tmp_path):
    path = tmp_path / "resolve_palette.json"
    assert load_palette(path) == DEFAULT_PALETTE and load_palette(None) == DEFAULT_PALETTE
    path.write_text(json.dumps({"Speech": "rose", "Ukulele": "CREAM"}))
    palette = load_palette(path)
    assert palette["Speech"] == "Rose" and palette["Ukulele"] == "Cream" and palette["Music"] == "Purple"
    assert DEFAULT_PALETTE["Speech"] == "Blue"  # the default itself is not changed
    for bad, why in (("[1, 2]", "not a JSON object"), ("{oops", "not a JSON object"), ('{"Dog": "Brown"}', "Brown")):
        path.write_text(bad)
        with pytest.raises(PaletteError, match=why):
            load_palette(path)


def test_labels_without_a_colour_get_a_stable_spare():
    assert color_for("Scene cut", DEFAULT_PALETTE) == "Red" and color_for("scene CUT", DEFAULT_PALETTE) == "Red"
    spare = color_for("Ukulele", DEFAULT_PALETTE)
    assert spare in SPARE and spare == color_for("Ukulele", {})  # the same on every run and machine
    assert color_for("Ukulele", {"Ukulele": "Mint"}) == "Mint"
