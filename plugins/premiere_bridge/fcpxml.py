"""FCPXML 1.8 to 1.11 (Final Cut Pro, Resolve): clips read from the user's own file and ``<marker>``
elements spliced into it (``xml_edit``), every other byte left as it was.

Time in FCPXML (Apple's FCPXML reference): values are exact rationals of seconds (``1001/24000s``,
``15015/360000s``, ``3600s``). Every element has a local timeline: it shows its local
[``start``, ``start`` + ``duration``) (``start`` 0 when absent), and sits at ``offset`` in its parent's
local time, so a local time ``t`` is ``t - start + offset`` in the parent. A clip's local time is its
media's time (an asset's ``start`` is the file's first frame, its timecode); a connected clip
(``lane``) sits in its parent clip's local time; a compound ``ref-clip`` shows its ``media``'s sequence,
a multicam ``mc-clip`` the angle its ``mc-source`` enables, both in that media's time. A marker's
``start`` is in the local time of the clip that holds it.

Media comes from an ``asset``: ``<media-rep kind="original-media" src=...>`` (1.9+) or its ``src``
attribute (1.8 and before). Markers go on the clip the media plays in (the connected clip itself for a
connected clip, the compound or multicam clip for what plays inside one), or with ``--scope timeline``
on the primary storyline's element at that time; placed after the clip's anchored items and markers,
before its audio-channel-source / filters / metadata, as the DTD orders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from avevents.core.errors import InvalidRequest, TimelineUnreadable
from avevents.plugins.markers.spec import MarkerSpec, marker_spec, owns_comment, owns_name

from . import xml_edit
from .document import MediaPiece, Placed, Skip, inside
from .media import file_name

LEAVES = {"asset-clip", "video", "audio"}  # elements that play an asset (or an effect: titles, generators)
CLIPS = {"asset-clip", "clip", "sync-clip", "ref-clip", "mc-clip"}
# What the DTD (1.10-1.13) puts after an element's markers (markers follow its anchored items):
# asset-clip (..., anchor items, marker items, audio-channel-source*, filter-video | filter-video-mask,
# filter-audio*, metadata?), and so on for each element that can hold markers.
_FILTERS = ("filter-video", "filter-video-mask", "filter-audio", "metadata")
AFTER_MARKERS = {
    "asset-clip": ("audio-channel-source", *_FILTERS),
    "clip": ("audio-channel-source", *_FILTERS),
    "ref-clip": ("audio-role-source", *_FILTERS),
    "sync-clip": ("sync-source", *_FILTERS),
    "mc-clip": ("filter-audio", "metadata"),  # its mc-source comes before anchored items and markers
    "gap": ("metadata",),
    "title": _FILTERS,
    "video": ("filter-video", "filter-video-mask", "reserved"),
    "audio": ("filter-audio",),
}
SKIPPED_CHILDREN = {"marker", "chapter-marker", "keyword", "rating", "analysis-marker", "note", "metadata",
                    "filter-video", "filter-audio", "filter-video-mask", "adjust-transform", "transition"}  # fmt: skip


def parse_time(value: str | None, default: Fraction = Fraction(0)) -> Fraction:
    """An FCPXML time ('1001/24000s', '3600s', '0s') as an exact Fraction of seconds."""
    if not value:
        return default
    text = value.strip()
    if not text.endswith("s"):
        raise ValueError(f"not an FCPXML time: {value!r}")
    return Fraction(text[:-1])


def format_time(seconds: Fraction) -> str:
    """An exact time as FCPXML writes it."""
    seconds = Fraction(seconds)
    return f"{seconds.numerator}s" if seconds.denominator == 1 else f"{seconds.numerator}/{seconds.denominator}s"


def is_own(marker: xml_edit.Element) -> bool:
    return owns_comment(marker.attrs.get("note", "")) or owns_name(marker.attrs.get("value", ""))


@dataclass
class FcpxmlClip:
    """A leaf that plays a file and where its markers go."""

    leaf: xml_edit.Element
    holder: xml_edit.Element  # the clip that holds its markers
    holder_shift: Fraction  # holder local time = leaf local time + this
    top: xml_edit.Element | None  # the primary storyline's element above it
    top_shift: Fraction
    frame: Fraction  # the frame duration of the holder's format (its marker grid)
    asset_start: Fraction
    top_frame: Fraction = Fraction(0)  # that of the primary storyline's element


class FcpxmlDocument:
    """An FCPXML file: its projects' clips and the edits that add markers."""

    format_name = "fcpxml"

    def __init__(self, data: bytes, what: str, project: str = ""):
        self.doc = xml_edit.parse(data, what)
        if self.doc.root.tag != "fcpxml":
            raise TimelineUnreadable(f"{what}: not FCPXML (its root is <{self.doc.root.tag}>, not <fcpxml>)")
        self.what = what
        resources = self.doc.root.child("resources")
        self.resources = {r.attrs["id"]: r for r in (resources.children if resources else []) if "id" in r.attrs}
        projects = [p for p in self.doc.root.iter("project") if p.child("sequence") is not None]
        if project:
            chosen = [p for p in projects if p.attrs.get("name") == project]
            if not chosen:
                names = ", ".join(repr(p.attrs.get("name", "")) for p in projects) or "none"
                raise InvalidRequest(f"{what}: no project named {project!r} (its projects: {names})")
            projects = chosen
        self.projects = projects
        self.splices: list[xml_edit.Splice] = []
        self._queued: dict[int, tuple[xml_edit.Element, list[str]]] = {}
        try:
            self._pieces = self._read()
        except (ValueError, ZeroDivisionError) as exc:
            raise TimelineUnreadable(f"{what}: {exc}") from None

    # Reading -------------------------------------------------------------------------------------------

    def _frame_of(self, element: xml_edit.Element) -> Fraction:
        fmt = self.resources.get(element.attrs.get("format", ""))
        if fmt is None or not fmt.attrs.get("frameDuration"):
            return Fraction(0)
        return parse_time(fmt.attrs["frameDuration"])

    def _read(self) -> list[tuple[str, str, MediaPiece | Skip]]:
        out = []
        several = len(self.projects) > 1
        for project in self.projects:
            sequence = project.child("sequence")
            frame = self._frame_of(sequence) or Fraction(1, 25)
            spine = sequence.child("spine")
            label = project.attrs.get("name", "") if several else ""
            if spine is not None:
                out += self._clips_under(spine, [sequence, spine], frame, label)
        if not self.projects:  # clips exported from the browser: each in its own time
            for holder in [self.doc.root, *self.doc.root.iter("event")]:
                for clip in holder.children:
                    if clip.tag in CLIPS:
                        wrapper = xml_edit.Element("clips", {}, clip.start, holder, [clip])
                        frame = self._frame_of(clip) or Fraction(1, 25)
                        out += self._clips_under(wrapper, [holder, wrapper], frame, "")
        return out

    def _clips_under(self, spine, chain, frame: Fraction, label: str) -> list:
        out = []
        for leaf, above in self._leaves(spine, chain, set()):
            lanes = [e.attrs["lane"] for e in [*above[2:], leaf] if "lane" in e.attrs]
            track = (f"{label} " if label else "") + (f"lane {lanes[-1]}" if lanes else "primary")
            piece = self._piece(leaf, above, frame, track, "")
            if piece is None:
                continue
            holder = piece.target.holder if isinstance(piece, MediaPiece) else leaf
            name = holder.attrs.get("name") or leaf.attrs.get("name") or leaf.tag
            if isinstance(piece, MediaPiece):
                piece.name = name
            out.append((track, name, piece))
        return out

    def _leaves(self, parent: xml_edit.Element, chain: list, expanding: set):
        """(leaf, chain above it) under ``parent``, compound and multicam media expanded in place."""
        children = parent.children
        if parent.tag == "audition":
            children = [c for c in children if c.tag not in SKIPPED_CHILDREN][:1]  # the active pick only
        for child in children:
            if child.tag in SKIPPED_CHILDREN:
                continue
            if child.tag in LEAVES and "ref" in child.attrs:
                yield child, chain
                if child.tag == "asset-clip":  # connected clips anchored to it
                    yield from self._leaves(child, [*chain, child], expanding)
            elif child.tag == "ref-clip":
                media = self.resources.get(child.attrs.get("ref", ""))
                inner = media.child("sequence") if media is not None else None
                inner_spine = inner.child("spine") if inner is not None else None
                if inner_spine is not None and id(media) not in expanding:  # a compound inside itself: once
                    yield from self._leaves(inner_spine, [*chain, child, inner_spine], expanding | {id(media)})
                yield from self._leaves(child, [*chain, child], expanding)
            elif child.tag == "mc-clip":
                media = self.resources.get(child.attrs.get("ref", ""))
                multicam = media.child("multicam") if media is not None else None
                for angle in self._active_angles(child, multicam):
                    yield from self._leaves(angle, [*chain, child, angle], expanding)
                yield from self._leaves(child, [*chain, child], expanding)
            elif child.children:
                yield from self._leaves(child, [*chain, child], expanding)

    @staticmethod
    def _active_angles(mc_clip: xml_edit.Element, multicam: xml_edit.Element | None) -> list:
        if multicam is None:
            return []
        enabled = [
            s.attrs.get("angleID") for s in mc_clip.all("mc-source") if s.attrs.get("srcEnable", "all") != "none"
        ]
        return [a for a in multicam.all("mc-angle") if a.attrs.get("angleID") in enabled]

    def _piece(self, leaf, chain, frame: Fraction, track: str, name: str) -> MediaPiece | Skip | None:
        asset = self.resources.get(leaf.attrs["ref"])
        if asset is None or asset.tag != "asset":
            return Skip("a title, generator or effect (no media file)")
        for element in [*chain, leaf]:
            if element.child("timeMap") is not None:
                return Skip("retimed (a speed change or freeze frame is not mapped to media time)")
            conform = element.child("conform-rate")
            if conform is not None and conform.attrs.get("scaleEnabled", "1") != "0":
                source = conform.attrs.get("srcFrameRate", "")
                sequence = f"{float(1 / frame):.3f}".rstrip("0").rstrip(".")
                if source and abs(float(source) - float(1 / frame)) > 0.01:
                    return Skip(f"conformed from {source} fps to the project's {sequence} (a speed change, not mapped)")
        urls = [r.attrs["src"] for r in asset.all("media-rep") if r.attrs.get("kind") == "original-media"]
        urls += [r.attrs["src"] for r in asset.all("media-rep") if r.attrs.get("src")]
        urls += [asset.attrs["src"]] if asset.attrs.get("src") else []
        if not urls:
            return Skip("its asset names no media file")
        start = parse_time(leaf.attrs.get("start"))
        first, last = start, start + parse_time(leaf.attrs.get("duration"), parse_time(asset.attrs.get("duration")))
        # Up the chain (nodes[0:2] are the sequence and its spine): each element's local time is the
        # leaf's plus shifts[i] (t_parent = t - start + offset at each step).
        nodes = [*chain, leaf]
        last_index = len(nodes) - 1
        shifts = {last_index: Fraction(0)}
        for index in range(last_index, 2, -1):
            node = nodes[index]
            shifts[index - 1] = (
                shifts[index] + parse_time(node.attrs.get("offset")) - parse_time(node.attrs.get("start"))
            )
            parent = nodes[index - 1]
            if "duration" in parent.attrs and "lane" not in node.attrs:  # what the parent shows clips it
                p_start = parse_time(parent.attrs.get("start"))
                first = max(first, p_start - shifts[index - 1])
                last = min(last, p_start + parse_time(parent.attrs["duration"]) - shifts[index - 1])
        # The holder: the outermost clip of the project above the leaf, up to a connected clip or
        # storyline (lane) of the project.
        holder = None
        for index in range(last_index, 1, -1):
            node = nodes[index]
            if node.tag in CLIPS:
                holder, holder_shift = node, shifts[index]
            if holder is not None and "lane" in node.attrs and node.ancestor("resources") is None:
                break  # a connected clip or storyline of the project: its clips hold their own markers
        top, top_shift = nodes[2], shifts[2]
        if top.tag == "audition" and last_index > 2:  # an audition holds no markers: its active pick does
            top, top_shift = nodes[3], shifts[3]
        if holder is None:
            return Skip("not inside a clip that can hold markers")
        if last <= first:
            if leaf.ancestor("resources") is not None:
                return None  # a part of a compound or multicam clip that this use of it does not show
            return Skip("not visible (trimmed away by the clip it plays in)")
        asset_start = parse_time(asset.attrs.get("start"))
        # Markers sit on the frames of the clip that holds them (its format, else its media's, else the
        # project's): FCP writes a 25 fps clip's markers in 1/25 s in a 23.976 project.
        grid = self._frame_of(holder) or (self._frame_of(asset) if holder is leaf else 0) or frame
        clip = FcpxmlClip(leaf, holder, holder_shift, top, top_shift if top is not None else Fraction(0),
                          grid, asset_start, self._frame_of(top) or frame)  # fmt: skip
        return MediaPiece(clip, track, name, urls, float(first - asset_start), float(last - asset_start), 1 / grid)

    # The bridge's side ----------------------------------------------------------------------------------

    def pieces(self) -> list[tuple[str, str, MediaPiece | Skip]]:
        return self._pieces

    def located(self, piece: MediaPiece) -> Skip | None:
        return None  # times are the asset's own (its start is the file's first frame)

    def place(self, done: list[Placed], scope: str, palette: dict[str, str]) -> tuple[int, dict[int, int]]:
        removed, added = 0, {}
        cleaned: set[int] = set()
        seen: set[tuple] = set()
        for placed in done:
            piece, clip = placed.piece, placed.piece.target
            holder, shift, grid = clip.holder, clip.holder_shift, clip.frame
            if scope == "timeline" and clip.top is not None:
                holder, shift, grid = clip.top, clip.top_shift, clip.top_frame
            if id(holder) not in cleaned:
                cleaned.add(id(holder))
                mine = [m for m in holder.all("marker") if is_own(m)]
                self.splices += [xml_edit.removal(self.doc, m) for m in mine]
                removed += len(mine)
            count = 0
            for event, first_s, last_s in placed.spans():
                origin = clip.asset_start + shift  # holder local time of the file's second 0

                def frame_of(seconds: float, origin=origin, grid=grid) -> int:
                    return round((origin + Fraction(seconds).limit_denominator(10**9)) / grid)

                first, last = inside(frame_of(first_s), frame_of(last_s), frame_of(piece.source_end))
                start, length = first * grid, max(1, last - first)
                spec = marker_spec(event, first, length, 1 / grid, palette, file_name(piece.path))
                key = (id(holder), spec.name, start)
                if key in seen:  # the same event from a clip's video and its audio
                    continue
                seen.add(key)
                self._queued.setdefault(id(holder), (holder, []))[1].append(_marker_xml(spec, start, length * grid))
                count += 1
            added[id(piece)] = count
        return removed, added

    def serialize(self) -> bytes:
        splices = list(self.splices)
        for holder, fragments in self._queued.values():
            later = AFTER_MARKERS.get(holder.tag, _FILTERS)
            before = next((c for c in holder.children if c.tag in later), None)
            splices += xml_edit.insertion(self.doc, holder, fragments, before=before)
        return xml_edit.apply(self.doc.data, splices)


def _marker_xml(spec: MarkerSpec, start: Fraction, duration: Fraction) -> str:
    return (
        f'<marker start="{format_time(start)}" duration="{format_time(duration)}" '
        f'value="{xml_edit.attribute(spec.tagged_name(False))}" note="{xml_edit.attribute(spec.tagged_note())}"/>'
    )
