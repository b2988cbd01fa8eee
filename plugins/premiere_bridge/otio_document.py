"""Timelines read and written through OpenTimelineIO: ``.otio`` / ``.otioz`` (OTIO's own, lossless), and a
timeline written to another format than it came in (``--format``), where the output is necessarily the
adapter's rendering.

A file may hold a Timeline, a SerializableCollection of timelines and clips, or a single Clip. Markers go
on a clip in its media time, or on its timeline's top stack in timeline time.
"""

from __future__ import annotations

from dataclasses import dataclass

import opentimelineio as otio

from avevents.plugins.markers.media_timecode import timecode_start_seconds
from avevents.plugins.markers.spec import marker_spec

from .document import MediaPiece, Placed, Skip, inside
from .formats import Format
from .markers import make_marker, remove_own, spec_range
from .media import file_name


@dataclass
class OtioClip:
    clip: otio.schema.Clip
    stack: object  # the top stack of its timeline (None for a clip on its own)
    origin: float = 0.0  # media time (seconds) of the file's first frame


def _track_name(clip) -> str:
    track = clip.parent()
    while track is not None and not isinstance(track, otio.schema.Track):
        track = track.parent()
    return (track.name or track.kind) if track is not None else ""


def _stack_of(clip):
    item = clip
    while item.parent() is not None:
        item = item.parent()
    return item if isinstance(item, otio.schema.Stack) else None


class OtioDocument:
    """An OTIO object (Timeline, collection or Clip) and the format it is written in."""

    def __init__(self, obj, fmt: Format, source_format: Format | None = None):
        self.obj = obj
        self.format = fmt
        self.format_name = fmt.name
        self.source_format = source_format or fmt

    def _clips(self) -> list:
        if isinstance(self.obj, otio.schema.Clip):
            return [self.obj]
        return list(self.obj.find_clips())

    def pieces(self) -> list[tuple[str, str, MediaPiece | Skip]]:
        out = []
        for clip in self._clips():
            track = _track_name(clip)
            out.append((track, clip.name, self._piece(clip, track)))
        return out

    def _piece(self, clip, track: str) -> MediaPiece | Skip:
        warps = [e for e in clip.effects if isinstance(e, otio.schema.TimeEffect)]
        if warps:
            kind = type(warps[0]).__name__
            scalar = getattr(warps[0], "time_scalar", None)
            if not (isinstance(warps[0], otio.schema.LinearTimeWarp) and scalar == 1.0):
                detail = f"{kind} x{scalar:g}" if scalar is not None else kind
                return Skip(f"a speed change ({detail}) is not mapped to media time")
        ref = clip.media_reference
        if not isinstance(ref, otio.schema.ExternalReference) or not ref.target_url:
            hint = ""
            if self.source_format.name in ("edl", "fcp7xml", "fcpxml") and self.source_format != self.format:
                hint = f"; OTIO's {self.source_format.name} reader, which a conversion goes through, found none"
            return Skip(f"no media file ({type(ref).__name__ if ref is not None else 'no media'}){hint}")
        try:
            used = clip.trimmed_range()
        except Exception as exc:  # OTIO raises its own for a clip without any range
            return Skip(f"no source range ({exc})")
        rate = used.start_time.rate
        return MediaPiece(OtioClip(clip, _stack_of(clip)), track, clip.name, [ref.target_url], 0.0, 0.0, rate)

    def located(self, piece: MediaPiece) -> Skip | None:
        target: OtioClip = piece.target
        ref = target.clip.media_reference
        used = target.clip.trimmed_range()
        if ref.available_range is not None:
            target.origin = ref.available_range.start_time.to_seconds()
        else:
            target.origin = timecode_start_seconds(piece.path)
        piece.source_start = max(0.0, used.start_time.to_seconds() - target.origin)
        piece.source_end = piece.source_start + used.duration.to_seconds()
        return None

    def place(self, done: list[Placed], scope: str, palette: dict[str, str]) -> tuple[int, dict[int, int]]:
        removed, added = 0, {}
        stacks: dict[int, tuple[object, list]] = {}
        for placed in done:
            target: OtioClip = placed.piece.target
            if target.stack is not None:
                span = target.clip.transformed_time_range(target.clip.trimmed_range(), target.stack)
                stacks.setdefault(id(target.stack), (target.stack, []))[1].append(span)
        for stack, spans in stacks.values():
            removed += remove_own(stack, keep=lambda m, spans=spans: not _starts_in(m, spans))
        seen: set[tuple] = set()
        for placed in done:
            piece, target = placed.piece, placed.piece.target
            removed += remove_own(target.clip)
            count = 0
            for event, first_s, last_s in placed.spans():
                rate = piece.rate
                end = round((target.origin + piece.source_end) * rate)
                first, last = inside(
                    round((target.origin + first_s) * rate), round((target.origin + last_s) * rate), end
                )
                spec = marker_spec(event, first, last - first, rate, palette, file_name(piece.path))
                holder, marked = target.clip, spec_range(spec)
                if scope == "timeline" and target.stack is not None:
                    holder, marked = target.stack, target.clip.transformed_time_range(marked, target.stack)
                    key = (id(holder), event["label"], marked.start_time.to_seconds(), marked.duration.to_seconds())
                    if key in seen:  # the same event from a video clip and its linked audio
                        continue
                    seen.add(key)
                holder.markers.append(make_marker(spec, self.format, marked))
                count += 1
            added[id(piece)] = count
        return removed, added

    def serialize(self) -> bytes:
        from .formats import serialize_otio

        return serialize_otio(self.obj, self.format)


def _starts_in(marker, spans) -> bool:
    t = marker.marked_range.start_time
    return any(span.start_time <= t < span.end_time_exclusive() for span in spans)
