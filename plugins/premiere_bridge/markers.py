"""Event markers as OpenTimelineIO objects, and recognising the bridge's own on a re-run.

The marker itself (name, note, colour, ownership tags) is the shared ``plugins/markers`` description, the
same as the Resolve plugin's; this module turns it into an ``otio.schema.Marker`` and recognises the tags
a format kept: metadata ``avevents`` (OTIO), ``[avevents <id>]`` at the end of the comment (OTIO, FCP7
XML, which Premiere reads as the marker comment), or a ``(avevents)`` name suffix (FCPXML, EDL). Markers
without any of these are the user's and are never touched.
"""

from __future__ import annotations

import opentimelineio as otio

from avevents.plugins.markers.palette import OTIO_COLORS
from avevents.plugins.markers.spec import MarkerSpec, owns_comment, owns_metadata, owns_name

from .formats import Format


def comment_of(marker) -> str:
    """A marker's comment as its format kept it (FCP7 XML's reader leaves it in the ``fcp_xml`` metadata)."""
    fcp = marker.metadata.get("fcp_xml")
    fcp_comment = fcp.get("comment") if hasattr(fcp, "get") else None  # an OTIO AnyDictionary
    return (fcp_comment or getattr(marker, "comment", "") or "").strip()


def is_own(marker) -> bool:
    """Whether an OTIO marker is the bridge's (by whichever tag its format kept)."""
    return owns_metadata(marker.metadata) or owns_comment(comment_of(marker)) or owns_name(marker.name)


def remove_own(item, keep=None) -> int:
    """Remove the bridge's markers from ``item`` (those for which ``keep(marker)`` is false, when given)."""
    mine = [m for m in item.markers if is_own(m) and not (keep and keep(m))]
    for m in mine:
        item.markers.remove(m)
    return len(mine)


def spec_range(spec: MarkerSpec) -> otio.opentime.TimeRange:
    """The frames ``spec`` covers, as an OTIO time range in its rate."""
    return otio.opentime.TimeRange(
        otio.opentime.RationalTime(spec.frame, spec.rate), otio.opentime.RationalTime(spec.duration, spec.rate)
    )


def make_marker(
    spec: MarkerSpec, fmt: Format, marked_range: otio.opentime.TimeRange | None = None
) -> otio.schema.Marker:
    """The OTIO marker for ``spec`` written in ``fmt``, over ``marked_range`` (default: the spec's own frames;
    another item's time when the marker goes on the timeline's stack)."""
    text = spec.tagged_note()
    marker = otio.schema.Marker(
        name=spec.tagged_name(fmt.keeps_comments),
        marked_range=spec_range(spec) if marked_range is None else marked_range,
        color=OTIO_COLORS[spec.color],
        metadata=spec.metadata(),
        comment=text,
    )
    if fmt.name == "fcp7xml":
        marker.metadata["fcp_xml"] = {"comment": text}  # what the FCP7 adapter writes as <comment>
    return marker
