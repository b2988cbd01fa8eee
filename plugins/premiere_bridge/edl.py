"""CMX 3600 EDLs (Avid, Premiere, Resolve, Nucoda...): events read from the user's own lines and
``* LOC:`` lines added to them, every other byte left as it was.

What an event line says: ``NNN  REEL  CHANNELS  TRANSITION [DURATION]  SRC-IN SRC-OUT REC-IN REC-OUT``,
source timecodes in the media's own timecode, record timecodes on the timeline; the comment lines after
it name the media (``* FROM CLIP NAME:`` from Premiere and Resolve, ``* SOURCE FILE:``, ``* FROM CLIP:``
with a path; ``* TO CLIP NAME:`` for the incoming clip of a transition). ``M2`` gives a speed in frames
per second (000.0: a freeze frame). A ``* LOC:`` line holds a record timecode: in the otio-cmx3600
adapter's screening_example.edl, event 004 (record 00:59:58:00-01:00:02:19, source 01:00:10:01-
01:00:14:20) carries LOC 01:00:01:14 and 01:00:02:14, inside its record range only. ``FCM: DROP FRAME``
(or ``;`` in the timecodes) makes an event's timecodes drop-frame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from avevents.core.errors import InvalidRequest, TimelineUnreadable
from avevents.plugins.markers.palette import AVID_COLORS
from avevents.plugins.markers.rates import RateError, frames_to_timecode, nominal, parse_rate, timecode_to_frames
from avevents.plugins.markers.spec import marker_spec, owns_name

from .document import MediaPiece, Placed, Skip, inside
from .media import file_name, media_timecode

_TC = r"\d{1,2}[:;.]\d\d[:;.]\d\d[:;.]\d\d"
EVENT = re.compile(rf"^\s*(\d{{1,6}})\s+(.*?)\s+({_TC})\s+({_TC})\s+({_TC})\s+({_TC})\s*$")
SPEED = re.compile(rf"^\s*M2\s+(.*?)\s+(-?\d+(?:\.\d*)?)\s+({_TC})\s*$")
COMMENT = re.compile(r"^\s*\*\s*([A-Z][A-Z ]*?)\s*:\s?(.*)$")
FCM = re.compile(r"^\s*FCM\s*:\s*(.*?)\s*$", re.IGNORECASE)
LOC = re.compile(rf"^\s*\*\s*LOC\s*:\s*({_TC})\s+(\w*)\s*(.*?)\s*$")
BLACK_REELS = {"BL", "BLK", "BLACK"}


@dataclass
class EdlClip:
    """One event line: what it plays and where."""

    line: int  # index of the event line
    number: str
    reel: str
    channels: str
    source_in: int  # frames of the source timecode
    source_out: int
    record_in: int
    record_out: int
    drop_frame: bool
    separator: str  # what the record timecodes are written with before the frames (':' or ';')
    block_end: int  # index after the event's last non-blank line
    names: dict[str, str] = field(default_factory=dict)  # FROM CLIP NAME, SOURCE FILE... for this clip
    speed: float | None = None  # M2, frames per second
    media_start: int = 0  # frames: the media file's own start timecode


class EdlDocument:
    """An EDL's lines and the LOC lines to add."""

    format_name = "edl"

    def __init__(self, data: bytes, what: str, rate: Fraction):
        try:
            text = data.decode("utf-8", errors="surrogateescape")  # any bytes come back unchanged
        except UnicodeDecodeError:  # pragma: no cover - surrogateescape accepts every byte
            raise TimelineUnreadable(f"{what}: not a text file") from None
        if "\x00" in text:
            raise TimelineUnreadable(f"{what}: not an EDL (binary data)")
        self.lines = text.splitlines(keepends=True)
        self.rate = rate
        self.what = what
        self.clips = self._read()
        if not self.clips:
            raise TimelineUnreadable(f"{what}: no EDL event lines (NNN REEL CHANNELS TRANSITION timecodes)")
        self.removed: set[int] = set()
        self.added: dict[int, list[str]] = {}  # block end -> LOC lines to insert there

    def _read(self) -> list[EdlClip]:
        clips: list[EdlClip] = []
        drop_frame = False
        block: list[EdlClip] = []

        def close_block(end: int) -> None:
            while end > 0 and not self.lines[end - 1].strip():
                end -= 1
            for clip in block:
                clip.block_end = end
            comments = {}
            for index in range(block[0].line, end) if block else ():
                found = COMMENT.match(self.lines[index])
                if found and found.group(1) not in ("LOC",):
                    comments.setdefault(found.group(1), found.group(2).strip())
                speed = SPEED.match(self.lines[index])
                if speed and block:
                    target = next((c for c in block if c.reel == speed.group(1).strip()), block[-1])
                    target.speed = float(speed.group(2))
            if block:
                block[0].names = {k: v for k, v in comments.items() if k != "TO CLIP NAME"}
                if len(block) > 1:  # a transition: the second line is the incoming clip
                    block[-1].names = dict(block[0].names)
                    block[-1].names.pop("FROM CLIP NAME", None)
                    if "TO CLIP NAME" in comments:
                        block[-1].names["FROM CLIP NAME"] = comments["TO CLIP NAME"]
            block.clear()

        for index, line in enumerate(self.lines):
            mode = FCM.match(line)
            if mode:
                drop_frame = mode.group(1).upper().replace("-", " ").startswith("DROP")
                continue
            event = EVENT.match(line)
            if not event:
                continue
            number, middle, *codes = event.groups()
            tokens = middle.split()
            if block and block[0].number != number:
                close_block(index)
            clip = self._clip(index, number, tokens, codes, drop_frame)
            block.append(clip)
            clips.append(clip)
        if block:
            close_block(len(self.lines))
        return clips

    def _clip(self, index: int, number: str, tokens: list[str], codes: list[str], drop_frame: bool) -> EdlClip:
        drop = drop_frame or any(";" in c for c in codes)
        if drop and (nominal(self.rate) not in (30, 60) or self.rate.denominator != 1001):
            raise InvalidRequest(
                f"{self.what}: line {index + 1} is drop-frame, which exists only at 29.97 and 59.94 fps; "
                f"--rate {float(self.rate):g} cannot be right"
            )
        try:
            frames = [_frames(c, self.rate, drop) for c in codes]
        except RateError as exc:
            raise TimelineUnreadable(f"{self.what}: line {index + 1}: {exc}") from None
        separator = ";" if ";" in codes[3][-3:] else ":"
        reel = tokens[0] if tokens else ""
        channels = tokens[1] if len(tokens) > 1 else ""
        return EdlClip(index, number, reel, channels, *frames, drop, separator, len(self.lines))

    # The bridge's side --------------------------------------------------------------------------------

    def pieces(self) -> list[tuple[str, str, MediaPiece | Skip]]:
        out = []
        for clip in self.clips:
            track = clip.channels or "V"
            name = clip.names.get("FROM CLIP NAME") or clip.names.get("SOURCE FILE") or clip.reel
            out.append((track, f"{clip.number} {name}", self._piece(clip, track, name)))
        return out

    def _piece(self, clip: EdlClip, track: str, name: str) -> MediaPiece | Skip:
        if clip.reel.upper() in BLACK_REELS:
            return Skip("black (no media)")
        if clip.source_out <= clip.source_in or clip.record_out <= clip.record_in:
            return Skip("zero length (the outgoing side of a transition)")
        if clip.speed is not None and clip.speed <= 0:
            return Skip("a freeze frame (M2 000.0)" if clip.speed == 0 else f"reverse motion (M2 {clip.speed:g})")
        candidates = [clip.names[k] for k in ("SOURCE FILE", "FROM CLIP", "FROM CLIP NAME") if clip.names.get(k)]
        if clip.reel and clip.reel.upper() != "AX":  # AX: an auxiliary source, named by the comments only
            candidates.append(clip.reel)
        if not candidates:
            return Skip("no media named (no FROM CLIP NAME, SOURCE FILE or reel)")
        return MediaPiece(clip, track, name, candidates, 0.0, 0.0, self.rate)

    def located(self, piece: MediaPiece) -> Skip | None:
        """Source timecodes become file seconds through the file's own start timecode."""
        clip: EdlClip = piece.target
        start, length, media_rate = media_timecode(piece.path)
        if media_rate is not None and parse_rate(media_rate) != self.rate:
            return Skip(
                f"{file_name(piece.path)} runs at {float(media_rate):.3f} fps but --rate is {float(self.rate):.3f}: "
                "its timecodes would land on other frames (give the rate the EDL was made at)"
            )
        clip.media_start = round(Fraction(start).limit_denominator(10**6) * self.rate)
        piece.source_start = float(Fraction(clip.source_in - clip.media_start) / self.rate)
        piece.source_end = float(Fraction(clip.source_out - clip.media_start) / self.rate)
        if piece.source_start < 0 or (length is not None and piece.source_start >= length):
            return Skip(
                f"its source timecode {self._timecode(clip.source_in, clip)} is outside {file_name(piece.path)} "
                f"(which starts at {self._timecode(clip.media_start, clip)} and lasts {length or 0:.2f} s)"
            )
        return None

    def place(self, done: list[Placed], scope: str, palette: dict[str, str]) -> tuple[int, dict[int, int]]:
        removed, added = 0, {}
        seen: set[tuple] = set()
        cleaned: set[int] = set()
        for placed in done:
            clip: EdlClip = placed.piece.target
            if clip.block_end not in cleaned:
                cleaned.add(clip.block_end)
                removed += self._remove_own(clip)
            count = 0
            for event, first_s, last_s in placed.spans():
                record, end = inside(self._record_frame(clip, first_s), self._record_frame(clip, last_s),
                                     clip.record_out)  # fmt: skip
                duration = end - record
                spec = marker_spec(event, record, duration, self.rate, palette, file_name(placed.piece.path))
                key = (spec.name, record, duration)
                if key in seen:  # the same event from a video event and its audio
                    continue
                seen.add(key)
                color = AVID_COLORS[spec.color].upper()  # LOC lines hold Avid's locator colours
                text = f"{spec.name} {spec.confidence:.2f}{' ' if spec.name else ''}(avevents)"
                line = f"* LOC: {self._timecode(record, clip)} {color:7} {text}"
                self.added.setdefault(clip.block_end, []).append(line)
                count += 1
            added[id(placed.piece)] = count
        return removed, added

    def _record_frame(self, clip: EdlClip, seconds: float) -> int:
        """The record frame showing file second ``seconds`` (a speed change maps linearly)."""
        media = Fraction(seconds).limit_denominator(10**9) * self.rate + clip.media_start - clip.source_in
        scale = Fraction(clip.record_out - clip.record_in, clip.source_out - clip.source_in)
        return clip.record_in + round(media * scale)

    def _timecode(self, frames: int, clip: EdlClip) -> str:
        code = frames_to_timecode(max(frames, 0), self.rate, clip.drop_frame)
        return code[:8] + clip.separator + code[9:]

    def _remove_own(self, clip: EdlClip) -> int:
        start = next(c.line for c in self.clips if c.block_end == clip.block_end)
        mine = [i for i in range(start, clip.block_end) if _is_own_loc(self.lines[i])]
        self.removed.update(mine)
        return len(mine)

    def serialize(self) -> bytes:
        out = []
        for index, line in enumerate(self.lines):
            if index in self.added:
                out += self._loc_lines(index)
            if index not in self.removed:
                out.append(line)
        if len(self.lines) in self.added:
            out += self._loc_lines(len(self.lines))
        elif self.lines and len(self.lines) - 1 in self.removed and not self.lines[-1].endswith(("\n", "\r")):
            # The file ended on one of our LOC lines, written after a line ending we added: take it back.
            out[-1] = out[-1].rstrip("\r\n")
        return "".join(out).encode("utf-8", errors="surrogateescape")

    def _loc_lines(self, index: int) -> list[str]:
        """The added LOC lines at ``index``, with the line ending of the line before (a last line without
        one gets one first)."""
        before = self.lines[index - 1]
        ending = "\r\n" if before.endswith("\r\n") else "\r" if before.endswith("\r") else "\n"
        lines = [line + ending for line in self.added[index]]
        if not before.endswith(("\n", "\r")):
            # Only when the block is the file's last line: the ending goes first and the last LOC line
            # ends the file without one, so that removing the LOC lines gives the input back.
            lines = [ending + line[: -len(ending)] for line in lines]
        return lines


def _frames(code: str, rate: Fraction, drop_frame: bool) -> int:
    """Frames of a timecode, drop-frame counted when the event is (whatever separator it is written with)."""
    code = code.replace(";", ":").replace(".", ":")
    return timecode_to_frames(code[:-3] + ";" + code[-2:] if drop_frame else code, rate)


def _is_own_loc(line: str) -> bool:
    found = LOC.match(line)
    return bool(found) and owns_name(found.group(3))
