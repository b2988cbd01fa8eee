"""One marker for one event, for any editor, and the tags that say a marker is avevents' own (standard
library only).

A ``MarkerSpec`` is what every editor's marker says: name, note, palette colour, first frame and duration
in frames of a rate. Each editor's module only turns it into its own object (Resolve: AddMarker's
arguments; OpenTimelineIO: a Marker).

Every avevents marker says it is one in a way its editor or format keeps; markers without it are the
user's and are never changed:

- Resolve: customData ``avevents|<event id>|<frame>`` (invisible in Resolve's UI);
- OTIO: metadata ``avevents`` (the event), and ``[avevents <id>]`` at the end of the comment (OTIO and FCP7
  XML keep comments; Premiere reads FCP7's as the marker comment);
- formats that keep only the name (FCPXML, EDL): a ``(avevents)`` suffix on the name.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .palette import color_for
from .text import marker_name, marker_note

TAG = "avevents"
NAME_SUFFIX = f" ({TAG})"


@dataclass
class MarkerSpec:
    """An event as a marker, before any editor's object exists."""

    event: dict  # as the analysis gave it
    name: str
    note: str  # without the ownership tag
    color: str  # a palette colour (``palette.COLORS``); each editor maps it onto its own
    frame: int  # the first frame, in the editor's frames (Resolve: from the timeline start; OTIO: media time)
    duration: int  # frames
    rate: Fraction | float  # the rate ``frame`` and ``duration`` count in

    @property
    def event_id(self) -> str:
        """The event's id ("" when it has none)."""
        return str(self.event.get("id", ""))

    @property
    def confidence(self) -> float:
        """The event's confidence (0 when it has none)."""
        return float(self.event.get("confidence") or 0.0)

    def custom_data(self, frame: int | None = None) -> str:
        """Resolve's customData tag for this marker placed at ``frame`` (default: its own first frame)."""
        return f"{TAG}|{self.event_id}|{self.frame if frame is None else frame}"

    def tagged_note(self) -> str:
        """The note ending in the ``[avevents <id>]`` tag, for formats whose comments survive."""
        return f"{self.note} [{TAG} {self.event_id}]"

    def tagged_name(self, keeps_comments: bool) -> str:
        """The name, with the ``(avevents)`` suffix where the format keeps no comment to carry the tag."""
        return self.name if keeps_comments else self.name + NAME_SUFFIX

    def metadata(self) -> dict:
        """OTIO metadata: the event itself under ``avevents``."""
        return {TAG: dict(self.event)}


def marker_spec(
    event: dict, frame: int, duration: int, rate: Fraction | float, palette: dict[str, str], source: str
) -> MarkerSpec:
    """The marker for ``event`` at ``frame`` for ``duration`` frames of ``rate``; ``source`` is the media's
    file name, as the note names it."""
    name = marker_name(event)
    return MarkerSpec(event, name, marker_note(event, source), color_for(name, palette), frame, duration, rate)


def event_span(event: dict, source_start: float, source_end: float) -> tuple[float, float] | None:
    """The event's seconds inside a media piece [``source_start``, ``source_end``), or None when it is not
    in it: a point event (end <= start) must start inside, a ranged one overlap. The end is never before
    the start."""
    start, end = float(event["start_seconds"]), float(event["end_seconds"])
    if end <= start:
        if not source_start <= start < source_end:
            return None
    elif end <= source_start or start >= source_end:
        return None
    start = max(start, source_start)
    return start, min(max(end, start), source_end)


def owns_custom_data(custom_data) -> bool:
    """Whether a Resolve marker's customData is avevents' tag."""
    return isinstance(custom_data, str) and custom_data.startswith(TAG + "|")


def owns_metadata(metadata) -> bool:
    """Whether OTIO marker metadata (a dict or OTIO's AnyDictionary) holds avevents' event."""
    return TAG in metadata


def owns_comment(comment: str) -> bool:
    """Whether a marker comment carries the ``[avevents <id>]`` tag."""
    return f"[{TAG} " in comment


def owns_name(name: str) -> bool:
    """Whether a marker name ends in the ``(avevents)`` suffix (any case)."""
    return name.lower().endswith(NAME_SUFFIX)
