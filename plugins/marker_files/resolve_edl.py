"""DaVinci Resolve's timeline-marker EDL (Timeline > Import > Timeline Markers from EDL; the free edition
too): the format Resolve's own "Export > Timeline Markers to EDL" writes, as shared by users of it
(e.g. the sample in the chapterize project's README): a TITLE and FCM header, then per marker an event
``NNN  001      V     C        <rec in> <rec out> <rec in> <rec out>`` and a line
`` |C:ResolveColor<Colour> |M:<name> |D:<duration in frames>``, a blank line after each. Record
timecodes are the timeline's (Resolve's timelines start at 01:00:00:00 unless set otherwise)."""

from __future__ import annotations

from .timing import MarkedMedia


def render(marked: MarkedMedia, kind: str = "resolve-edl") -> str:
    lines = [f"TITLE: {marked.name}", f"FCM: {'DROP FRAME' if marked.drop_frame else 'NON-DROP FRAME'}", ""]
    for number, marker in enumerate(marked.markers, 1):
        length = max(1, marker.duration)
        start, end = marked.timecode(marker.frame), marked.timecode(marker.frame + length)
        confidence = float(marker.event.get("confidence") or 0)
        name = f"{marker.name} {confidence:.2f}".replace("|", "/")  # '|' separates the fields
        lines += [
            f"{number:03d}  001      V     C        {start} {end} {start} {end}  ",
            f" |C:ResolveColor{marker.color} |M:{name} |D:{length}",
            "",
        ]
    return "\n".join(lines) + "\n"
