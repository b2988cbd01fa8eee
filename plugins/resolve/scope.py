"""Which media to analyse for a Resolve timeline, and where each used piece sits (standard library only).

Each timeline item on the chosen tracks that overlaps the scope becomes a ``Placement``: the record frames
it covers (relative to the timeline start, as marker frames are) and the media seconds they show. Items
that cannot be mapped are ``Skipped`` with a reason (no media file, offline, disabled, retimed). The
placements' media ranges are merged per file into ``MediaRequest``s, so a clip used twice, or a video
item and its linked audio, is analysed once.

Frame facts (see shared/docs/INTERFACES.md): item ``GetStart()`` is an absolute record frame (an
01:00:00:00 start at 24 fps is 86400), marker frames are relative to ``GetStartFrame()``; where an item
starts in its media is ``source_time``'s job (the calls the running version has, checked against each
other); the clip's own rate is its 'FPS' property. Calls are made only where ``resolve.GetVersion()``
has them (``api_version``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction

from ..markers.rates import RateError, parse_rate
from .api_version import Version, call, has_call
from .source_time import SourceStart, source_start

SCOPES = ("timeline", "inout", "playhead")
TRACK_TYPES = ("video", "audio")
MERGE_GAP_SECONDS = 2.0  # pieces of one file closer than this are analysed in one request
NO_MEDIA_TYPES = ("compound", "timeline", "generator", "title", "fusion", "multicam", "adjustment")


class ScopeError(Exception):
    """The scope cannot be resolved (no timeline, no in/out marks, nothing under the playhead)."""


@dataclass
class ScopeOptions:
    scope: str = "timeline"
    video_tracks: list[int] | None = None  # 1-based; None = every track
    audio_tracks: list[int] | None = None


@dataclass
class Placement:
    """One used piece of media on the timeline."""

    track: str  # "V1", "A2"
    name: str
    path: str
    record_start: int  # relative timeline frames [start, end)
    record_end: int
    source_start: float  # media seconds shown at record_start
    source_end: float
    request: int = -1
    note: str = ""  # what is uncertain about the mapping, said on its markers


@dataclass
class Skipped:
    track: str
    name: str
    reason: str


@dataclass
class MediaRequest:
    path: str
    start: float
    end: float


@dataclass
class Plan:
    timeline: str
    rate: Fraction
    start_frame: int  # absolute record frame of the timeline's first frame
    frame_range: tuple[int, int]  # relative frames [lo, hi) the scope covers
    placements: list[Placement] = field(default_factory=list)
    requests: list[MediaRequest] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def timeline_rate(timeline) -> Fraction:
    try:
        return parse_rate(timeline.GetSetting("timelineFrameRate"))
    except RateError as exc:
        raise ScopeError(f"timeline {timeline.GetName()!r}: {exc}") from None


def scope_range(timeline, options: ScopeOptions, version: Version | None = None) -> tuple[int, int]:
    """Relative frames [lo, hi) that the scope covers."""
    start = timeline.GetStartFrame()
    whole = (0, timeline.GetEndFrame() - start + 1)  # GetEndFrame may be inclusive; one frame more is harmless
    if options.scope == "timeline":
        return whole
    if options.scope == "inout":
        if not has_call(version, "GetMarkInOut"):
            raise ScopeError(
                "the in/out scope needs Resolve 19.1 or later (GetMarkInOut); choose the timeline or the playhead"
            )
        marks = call(timeline, "GetMarkInOut", version) or {}
        mark = marks.get("video") or marks.get("audio") or {}
        if "in" not in mark or "out" not in mark:
            raise ScopeError(
                "no in/out range is marked on the timeline (mark one with I and O, or choose another scope)"
            )
        return max(0, int(mark["in"])), min(whole[1], int(mark["out"]) + 1)  # the out mark is inclusive
    if options.scope == "playhead":
        item = timeline.GetCurrentVideoItem()
        if item is None:
            raise ScopeError("no clip under the playhead on the video tracks")
        return item.GetStart() - start, item.GetStart() + item.GetDuration() - start
    raise ScopeError(f"unknown scope {options.scope!r} (choose from {', '.join(SCOPES)})")


def plan_timeline(timeline, options: ScopeOptions, file_exists=os.path.isfile, version: Version | None = None) -> Plan:
    """The placements, merged requests and skipped items of ``timeline`` for ``options``, with the calls
    Resolve ``version`` has (None: every call, a None answer treated as missing)."""
    if timeline is None:
        raise ScopeError("no timeline is open: open one on the Edit page")
    rate = timeline_rate(timeline)
    plan = Plan(timeline.GetName(), rate, timeline.GetStartFrame(), scope_range(timeline, options, version))
    for kind in TRACK_TYPES:
        wanted = options.video_tracks if kind == "video" else options.audio_tracks
        count = timeline.GetTrackCount(kind)
        for index in range(1, count + 1):
            if wanted is not None and index not in wanted:
                continue
            label = f"{kind[0].upper()}{index}"
            for item in timeline.GetItemListInTrack(kind, index) or []:
                placement = _place(item, label, plan, file_exists, version)
                if isinstance(placement, Skipped):
                    plan.skipped.append(placement)
                elif placement is not None:
                    plan.placements.append(placement)
    plan.requests = merge_requests(plan.placements)
    return plan


def _place(item, track: str, plan: Plan, file_exists, version: Version | None) -> Placement | Skipped | None:
    rel_start = item.GetStart() - plan.start_frame
    rel_end = rel_start + item.GetDuration()
    lo, hi = max(rel_start, plan.frame_range[0]), min(rel_end, plan.frame_range[1])
    if hi <= lo:
        return None  # outside the scope
    name = item.GetName()
    if call(item, "GetClipEnabled", version) is False:
        return Skipped(track, name, "disabled clip")
    media = item.GetMediaPoolItem()
    if media is None:
        return Skipped(track, name, "title, generator or effect (no media file)")
    props = media.GetClipProperty() or {}
    kind = str(props.get("Type", "")).lower()
    path = props.get("File Path", "")
    if not path or any(word in kind for word in NO_MEDIA_TYPES):
        return Skipped(
            track, name, f"{props.get('Type') or 'clip'} without a media file (compound, generator or title)"
        )
    if not file_exists(path):
        return Skipped(track, name, f"media offline: {path}")
    try:
        clip_rate = parse_rate(props.get("FPS") or plan.rate)
    except RateError:
        clip_rate = plan.rate
    found = source_start(item, clip_rate, plan.rate, version)
    if not isinstance(found, SourceStart):
        return Skipped(track, name, found)
    offset = Fraction(lo - rel_start) / plan.rate
    seconds = Fraction(hi - lo) / plan.rate
    start = found.seconds + offset
    return Placement(track, name, path, lo, hi, float(start), float(start + seconds), note=found.note)


def merge_requests(placements: list) -> list[MediaRequest]:
    """One request per file and stretch of it: pieces (anything with ``path``, ``source_start``,
    ``source_end`` and a ``request`` to set) that overlap or nearly touch share a request."""
    requests: list[MediaRequest] = []
    by_path: dict[str, list] = {}
    for p in placements:
        by_path.setdefault(p.path, []).append(p)
    for path, pieces in by_path.items():
        pieces.sort(key=lambda p: p.source_start)
        current: MediaRequest | None = None
        for p in pieces:
            if current is None or p.source_start > current.end + MERGE_GAP_SECONDS:
                current = MediaRequest(path, p.source_start, p.source_end)
                requests.append(current)
            current.end = max(current.end, p.source_end)
            p.request = len(requests) - 1
    return requests
