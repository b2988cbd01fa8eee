"""Where in its media a Resolve timeline item starts, from the calls the running version has, checked
against each other (standard library only).

Facts (measured on live Resolve, shared/docs/INTERFACES.md): ``GetLeftOffset()`` counts TIMELINE frames
(a 50p clip on a 25p timeline: source frame = 2 x offset), so it gives media seconds as offset /
timeline rate; ``GetSourceStartFrame()`` / ``GetSourceEndFrame()`` (19.0+) count the clip's frames,
were one frame off the left offset on some items, return 0/0 on timelines imported from Premiere XML,
and the end frame is exclusive when clip and timeline rates match, inclusive when they differ;
``GetSpeed()`` (21.1+) gives the speed. Where the two agree the source frames are used; where they
differ within the left offset's resolution (or the measured one-frame slip) the source frames are used
and the marker says it may be a frame off; a larger disagreement, or a speed other than 100 %, is
refused with the reason: never silently wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .api_version import Version, call

OFF_BY_ONE_NOTE = "Resolve's source position calls disagree slightly here: the marker may be one frame off"


@dataclass
class SourceStart:
    seconds: Fraction  # media seconds at the item's first frame
    note: str = ""  # said on the markers when the answer is uncertain


def speed_of(item, version: Version | None) -> float | None:
    """The item's speed as a factor (1.0 = 100 %), None where Resolve does not say."""
    value = call(item, "GetSpeed", version)
    try:
        speed = float(value)
    except (TypeError, ValueError):
        return None
    return speed / 100 if abs(speed) > 10 else speed  # percent or factor, as the version writes it


def source_start(item, clip_rate: Fraction, timeline_rate: Fraction, version: Version | None) -> SourceStart | str:
    """The item's media start, or why it cannot be mapped (a reason for the user)."""
    speed = speed_of(item, version)
    if speed is not None and abs(speed - 1) > 1e-6:
        return f"speed {speed * 100:g} % (only 100 % speed clips are mapped)"
    left = call(item, "GetLeftOffset", version)
    from_left = Fraction(left) / timeline_rate if left is not None else None
    first = call(item, "GetSourceStartFrame", version)
    last = call(item, "GetSourceEndFrame", version)
    if first is None or last is None or (first, last) == (0, 0):  # before 19.0, or a Premiere XML import
        if from_left is None:
            return "Resolve gives no source position for this clip"
        return SourceStart(from_left)
    # Source frames the item shows: the end frame is exclusive at matching rates, inclusive otherwise.
    span = last - first + (0 if clip_rate == timeline_rate else 1)
    expected = Fraction(item.GetDuration()) * clip_rate / timeline_rate
    if speed is None and abs(span - expected) > Fraction(3, 2):
        return "speed change or retime (its source and timeline lengths differ; only 100 % speed is mapped)"
    from_frames = Fraction(first) / clip_rate
    if from_left is None:
        return SourceStart(from_frames)
    apart = abs(from_frames - from_left) * clip_rate  # in clip frames
    if apart < Fraction(1, 2):
        return SourceStart(from_frames)
    # The left offset is whole timeline frames: it can only check the source frame to within its own
    # resolution (clip frames per timeline frame) and the measured one-frame slip. The finer answer is
    # used, and the marker says it may be a frame off.
    resolution = max(clip_rate / timeline_rate, Fraction(1))
    if apart <= resolution / 2 + 1:
        return SourceStart(from_frames, OFF_BY_ONE_NOTE)
    return "Resolve's source position calls disagree by more than a frame (a retimed or changed clip?)"
