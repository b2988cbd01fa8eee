"""FCP7 XML (xmeml: Premiere Pro, Final Cut Pro 7, Resolve, Avid, Hiero): clips read from the user's own
file and markers spliced into it (``xml_edit``), so links, log notes, Premiere's own fields and every
other byte stay as they were.

What a clipitem says (FCP7 XML reference): ``<in>``/``<out>`` are frames of the media counted from its
first frame at the clipitem's ``<rate>`` (the file's timecode plays no part), ``<start>``/``<end>`` are
frames of the sequence (-1 where the clip starts or ends inside a transition), and a clipitem's
``<marker>`` counts its ``<in>``/``<out>`` like the clipitem's own in/out; a sequence's markers count
sequence frames. A ``<file>`` is written once with its ``<pathurl>`` and referred to by ``id`` after.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from avevents.core.errors import TimelineUnreadable
from avevents.plugins.markers.spec import MarkerSpec, marker_spec, owns_comment, owns_name

from . import xml_edit
from .document import MediaPiece, Placed, Skip, inside
from .media import file_name

CLIP_ANCHORS = ("file", "out", "in")  # where a clipitem's first marker goes (after the last marker first)
SEQUENCE_ANCHORS = ("timecode", "media", "rate")


def rate_of(node: xml_edit.Element | None) -> Fraction | None:
    """The exact rate of an element's ``<rate>`` (timebase 30 + ntsc TRUE -> 30000/1001)."""
    rate = node.child("rate") if node is not None else None
    if rate is None or not rate.child_text("timebase"):
        return None
    base = Fraction(rate.child_text("timebase"))
    return base * Fraction(1000, 1001) if rate.child_text("ntsc").upper() == "TRUE" else base


def _int(node: xml_edit.Element, tag: str) -> int | None:
    try:
        return round(float(node.child_text(tag)))  # Hiero writes frames as 1055.0
    except ValueError:
        return None


def is_own(marker: xml_edit.Element) -> bool:
    """Whether a ``<marker>`` is avevents' (its comment's tag or its name's suffix)."""
    return owns_comment(marker.child_text("comment")) or owns_name(marker.child_text("name"))


@dataclass
class Fcp7Clip:
    """Where a clipitem is: its element, sequence, rates and frames."""

    element: xml_edit.Element
    sequence: xml_edit.Element
    rate: Fraction  # the clipitem's frames
    sequence_rate: Fraction
    first: int  # media frame of the clip's first frame (its <in>)
    start: int  # sequence frame where it starts


class Fcp7Document:
    """An xmeml file with its clips and the edits that add markers."""

    format_name = "fcp7xml"

    def __init__(self, data: bytes, what: str):
        self.doc = xml_edit.parse(data, what)
        if self.doc.root.tag != "xmeml":
            raise TimelineUnreadable(f"{what}: not FCP7 XML (its root is <{self.doc.root.tag}>, not <xmeml>)")
        self.files = {
            f.attrs["id"]: f for f in self.doc.root.iter("file") if f.attrs.get("id") and f.child("pathurl") is not None
        }
        self.sequences = [s for s in self.doc.root.iter("sequence") if s.child("media") is not None]
        self.splices: list[xml_edit.Splice] = []
        self._queued: dict[int, tuple[xml_edit.Element, list[str]]] = {}

    def pieces(self) -> list[tuple[str, str, MediaPiece | Skip]]:
        """(track, clip name, piece or why not) for every clipitem on a track of every sequence."""
        out = []
        several = len(self.sequences) > 1
        for sequence in self.sequences:
            seq_rate = rate_of(sequence) or Fraction(30)
            media = sequence.child("media")
            for kind, letter in (("video", "V"), ("audio", "A")):
                section = media.child(kind)
                if section is None:
                    continue
                for number, track in enumerate(section.all("track"), 1):
                    name = f"{letter}{number}"
                    if several:
                        name = f"{sequence.child_text('name') or 'sequence'} {name}"
                    for item in track.all("clipitem"):
                        out.append((name, item.child_text("name"), self._piece(item, sequence, seq_rate, name)))
        return out

    def _piece(self, item: xml_edit.Element, sequence, seq_rate: Fraction, track: str) -> MediaPiece | Skip:
        if item.child("sequence") is not None:
            return Skip("a nested sequence (its own clips are marked inside it)")
        if item.child("multiclip") is not None:
            return Skip("a multiclip (not mapped to an angle yet)")
        speed = _speed(item)
        if speed is not None:
            return Skip(f"a speed change ({speed}) is not mapped to media time")
        file = item.child("file")
        if file is not None and file.child("pathurl") is None:
            file = self.files.get(file.attrs.get("id", ""), file)
        if file is None or not file.child_text("pathurl"):
            return Skip("no media file (a generator, title or offline clip)")
        rate = rate_of(item) or rate_of(file) or seq_rate
        first, last = _int(item, "in"), _int(item, "out")
        start, end = _int(item, "start"), _int(item, "end")
        if first is None or last is None or last <= first:
            return Skip(f"no usable in/out ({item.child_text('in')}-{item.child_text('out')})")
        if start is None or start < 0:  # begins inside a transition: count back from its end
            length = Fraction(last - first) / rate * seq_rate
            start = round(end - length) if end is not None and end >= 0 else 0
        clip = Fcp7Clip(item, sequence, rate, seq_rate, first, start)
        url = file.child_text("pathurl")
        return MediaPiece(
            clip, track, item.child_text("name"), [url, file.child_text("name")],
            float(first / rate), float(last / rate), rate,
        )  # fmt: skip

    def located(self, piece: MediaPiece) -> Skip | None:
        return None  # in/out count from the media's first frame: nothing to read from the file

    def place(self, done: list[Placed], scope: str, palette: dict[str, str]) -> tuple[int, dict[int, int]]:
        removed, added = 0, {}
        if scope == "timeline":
            spans: dict[int, tuple[xml_edit.Element, list]] = {}
            for placed in done:
                clip = placed.piece.target
                spans.setdefault(id(clip.sequence), (clip.sequence, []))[1].append(self._span(clip))
            for sequence, ranges in spans.values():
                removed += self._remove(m for m in sequence.all("marker") if _starts_in(m, ranges))
        seen: set[tuple] = set()
        for placed in done:
            piece, clip = placed.piece, placed.piece.target
            removed += self._remove(clip.element.all("marker"))
            count = 0
            for event, first_s, last_s in placed.spans():
                first, last = inside(round(first_s * clip.rate), round(last_s * clip.rate),
                                     round(piece.source_end * clip.rate))  # fmt: skip
                spec = marker_spec(event, first, last - first, clip.rate, palette, file_name(piece.path))
                if scope == "timeline":
                    frame = self._sequence_frame(clip, first)
                    spec.duration = self._sequence_frame(clip, last) - frame
                    key = (id(clip.sequence), spec.name, frame, spec.duration)
                    if key in seen:  # the same event from a video clipitem and its linked audio
                        continue
                    seen.add(key)
                    self._queue(clip.sequence, _marker_xml(spec, frame))
                else:
                    self._queue(clip.element, _marker_xml(spec, first))
                count += 1
            added[id(piece)] = count
        return removed, added

    def _remove(self, markers) -> int:
        mine = [m for m in markers if is_own(m)]
        self.splices += [xml_edit.removal(self.doc, m) for m in mine]
        return len(mine)

    @staticmethod
    def _span(clip: Fcp7Clip) -> tuple[int, int]:
        end = _int(clip.element, "end")
        return clip.start, end if end is not None and end > clip.start else clip.start + 1

    @staticmethod
    def _sequence_frame(clip: Fcp7Clip, media_frame: int) -> int:
        """The sequence frame that shows ``media_frame`` of the clip's media."""
        return clip.start + round(Fraction(media_frame - clip.first) / clip.rate * clip.sequence_rate)

    def _queue(self, parent: xml_edit.Element, fragment: str) -> None:
        self._queued.setdefault(id(parent), (parent, []))[1].append(fragment)

    def serialize(self) -> bytes:
        """The user's bytes with the queued removals and markers applied."""
        splices = list(self.splices)
        for parent, fragments in self._queued.values():
            anchors = CLIP_ANCHORS if parent.tag == "clipitem" else SEQUENCE_ANCHORS
            splices += xml_edit.insertion(self.doc, parent, fragments, after=_anchor(parent, anchors))
        return xml_edit.apply(self.doc.data, splices)


def _starts_in(marker: xml_edit.Element, ranges: list[tuple[int, int]]) -> bool:
    frame = _int(marker, "in")
    return frame is not None and any(a <= frame < b for a, b in ranges)


def _anchor(parent: xml_edit.Element, anchors: tuple[str, ...]) -> xml_edit.Element | None:
    """The child after which new markers go: the user's last marker, else the first anchor tag found,
    else the last child."""
    users = [m for m in parent.all("marker") if not is_own(m)]
    if users:
        return users[-1]
    for tag in anchors:
        found = parent.all(tag)
        if found:
            return found[-1]
    return parent.children[-1] if parent.children else None


def _marker_xml(spec: MarkerSpec, frame: int) -> str:
    out = frame + spec.duration if spec.duration > 0 else -1
    return (
        "<marker>\n"
        f"\t<comment>{xml_edit.text(spec.tagged_note())}</comment>\n"
        f"\t<name>{xml_edit.text(spec.name)}</name>\n"
        f"\t<in>{frame}</in>\n"
        f"\t<out>{out}</out>\n"
        "</marker>"
    )


def _speed(item: xml_edit.Element) -> str | None:
    """A clipitem's time remap, as words, when it is not plain 100 % forward."""
    for effect in item.iter("effect"):
        if effect.child_text("effectid").lower() != "timeremap":
            continue
        values = {
            p.child_text("parameterid").lower(): p.child_text("value")
            for p in effect.iter("parameter")
            if p.child("parameterid") is not None
        }
        speed, reverse = values.get("speed", "100"), values.get("reverse", "FALSE").upper() == "TRUE"
        variable = values.get("variablespeed", "0") not in ("0", "FALSE", "false")
        try:
            plain = abs(float(speed) - 100) < 1e-6
        except ValueError:
            plain = False
        if variable or reverse or not plain:
            return "variable speed" if variable else f"{speed} %" + (" reversed" if reverse else "")
    return None
