"""Event markers on OpenTimelineIO objects, and recognising the bridge's own on a re-run.

Every bridge marker says it is one in a way its format keeps: metadata ``avevents`` (OTIO), a
``[avevents <id>]`` tag at the end of the comment (OTIO, FCP7 XML, which Premiere reads as the marker
comment), or, for formats that keep only the name (FCPXML, EDL), a ``(avevents)`` suffix on the name.
Markers without any of these are the user's and are never touched. Colours come from the same
user-editable palette as the Resolve markers, mapped onto OTIO's marker colours.
"""

from __future__ import annotations

import opentimelineio as otio

from avevents.plugins.resolve.markers import event_note
from avevents.plugins.resolve.palette import color_for

from .formats import Format

TAG = "avevents"
NAME_SUFFIX = f" ({TAG})"
OTIO_COLORS = {
    "Blue": "BLUE", "Cyan": "CYAN", "Green": "GREEN", "Yellow": "YELLOW", "Red": "RED", "Pink": "PINK",
    "Purple": "PURPLE", "Fuchsia": "MAGENTA", "Rose": "PINK", "Lavender": "PURPLE", "Sky": "CYAN",
    "Mint": "GREEN", "Lemon": "YELLOW", "Sand": "ORANGE", "Cocoa": "BLACK", "Cream": "WHITE",
}  # fmt: skip


def _comment(marker) -> str:
    fcp = marker.metadata.get("fcp_xml")
    fcp_comment = fcp.get("comment") if hasattr(fcp, "get") else None  # an OTIO AnyDictionary
    return (fcp_comment or getattr(marker, "comment", "") or "").strip()


def is_own(marker) -> bool:
    if TAG in marker.metadata:
        return True
    if f"[{TAG} " in _comment(marker):
        return True
    return marker.name.lower().endswith(NAME_SUFFIX)


def remove_own(item, keep=None) -> int:
    """Remove the bridge's markers from ``item`` (those for which ``keep(marker)`` is false, when given)."""
    mine = [m for m in item.markers if is_own(m) and not (keep and keep(m))]
    for m in mine:
        item.markers.remove(m)
    return len(mine)


def note(event: dict, source: str) -> str:
    return event_note(event, source) + f" [{TAG} {event.get('id', '')}]"


def make_marker(event: dict, marked_range, fmt: Format, palette: dict[str, str], source: str):
    label = event["label"]
    text = note(event, source)
    marker = otio.schema.Marker(
        name=label if fmt.keeps_comments else label + NAME_SUFFIX,
        marked_range=marked_range,
        color=OTIO_COLORS[color_for(label, palette)],
        metadata={TAG: dict(event)},
        comment=text,
    )
    if fmt.name == "fcp7xml":
        marker.metadata["fcp_xml"] = {"comment": text}  # what the FCP7 adapter writes as <comment>
    return marker
