"""What every timeline document gives the bridge: the media pieces its clips use, and a place for markers.

A document (``edl``, ``fcp7``, ``fcpxml``, ``otio_document``) reads the user's file, lists each clip as a
``MediaPiece`` (which seconds of which media it shows) or a ``Skip`` (why not), takes the analysis'
events for the pieces back in ``place`` and returns the user's file with only markers added.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

from avevents.plugins.markers.spec import event_span


@dataclass
class Skip:
    """A clip that is not analysed, and why (said to the user per clip)."""

    reason: str


@dataclass
class MediaPiece:
    """One clip's use of one media file."""

    target: object  # the document's own handle on the clip
    track: str
    name: str
    candidates: list[str]  # where the media may be: paths or URLs, then bare names; best first
    source_start: float  # file seconds the clip shows
    source_end: float
    rate: Fraction  # the clip's frames
    path: str = ""  # the media file found
    request: int = -1


@dataclass
class Placed:
    """A piece with the events the analysis found in its media."""

    piece: MediaPiece
    events: list[dict] = field(default_factory=list)

    def spans(self) -> Iterator[tuple[dict, float, float]]:
        """(event, first second, last second) for each event inside the piece, clipped to it."""
        for event in self.events:
            span = event_span(event, self.piece.source_start, self.piece.source_end)
            if span is not None:
                yield event, span[0], span[1]


def inside(first: int, last: int, end: int) -> tuple[int, int]:
    """Frames ``first``-``last`` kept before ``end`` (a clip's first frame past its out point): an event in
    the clip's last frame can round up onto the frame after it."""
    first = min(first, end - 1)
    return first, min(max(last, first), end)


class TimelineDocument(Protocol):
    format_name: str

    def pieces(self) -> list[tuple[str, str, MediaPiece | Skip]]:
        """(track, clip name, piece or why not) for every clip, in document order."""

    def located(self, piece: MediaPiece) -> Skip | None:
        """Finish ``piece`` once its media file is found (``piece.path``); a Skip when it cannot be used."""

    def place(self, done: list[Placed], scope: str, palette: dict[str, str]) -> tuple[int, dict[int, int]]:
        """Replace the bridge's earlier markers on the pieces' clips with markers for their events:
        (markers removed, markers added per ``id(piece)``)."""

    def serialize(self) -> bytes:
        """The document as it is to be written."""
