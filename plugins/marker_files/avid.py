"""Avid Media Composer's marker list (Tools > Markers > Import Markers): tab-separated lines of user,
timecode, track, colour, comment and duration in frames, as Media Composer exports it (e.g.
``Isabel Yanes GT<TAB>01:01:07:21<TAB>V1<TAB>red<TAB>VFX - Fade In...<TAB>1``). Media Composer's marker
colours are red, green, blue, cyan, magenta, yellow, black and white."""

from __future__ import annotations

from avevents.plugins.markers.palette import AVID_COLORS

from .timing import MarkedMedia

USER = "avevents"


def render(marked: MarkedMedia, kind: str = "avid") -> str:
    track = "V1" if marked.has_video else "A1"
    rows = []
    for marker in marked.markers:
        # Plain ASCII separators: the list is read as text by Media Composer.
        comment = f"{marker.name} - {marker.note}".replace(" · ", " - ").replace("\t", " ").replace("\n", " ")
        rows.append("\t".join([USER, marked.timecode(marker.frame), track, AVID_COLORS[marker.color], comment,
                               str(max(1, marker.duration))]))  # fmt: skip
    return "".join(row + "\n" for row in rows)
