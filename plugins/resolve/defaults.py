"""The user's detection defaults (pack, labels, sensitivity) as the tray app saves them, read with the
standard library only (``tray.json`` in avevents' config folder; see ``avevents.tray.settings``)."""

from __future__ import annotations

import json
from pathlib import Path

SETTINGS_FILE = "tray.json"  # the tray's settings file (avevents.tray.settings.SETTINGS_FILE)


def load_defaults(config_dir) -> dict:
    """{"pack": str, "labels": [str], "sensitivity": float | None}; empty values where nothing is set."""
    try:
        data = json.loads((Path(config_dir) / SETTINGS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        data = {}
    labels = [x.strip() for x in str(data.get("labels") or "").split(",") if x.strip()]
    sensitivity = data.get("sensitivity")
    return {
        "pack": str(data.get("default_pack") or ""),
        "labels": labels,
        "sensitivity": float(sensitivity) if isinstance(sensitivity, (int, float)) else None,
    }
