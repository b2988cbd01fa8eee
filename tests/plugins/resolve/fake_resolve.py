"""An in-memory stand-in for DaVinci Resolve's scripting API, faithful to the documented calls and their
quirks (shared/docs/INTERFACES.md): 1-based track indices (None for others), item positions in absolute
record frames while timeline markers are relative to the timeline start, AddMarker refusing an occupied
frame, an unknown colour or a zero duration, GetSetting returning rounded rate strings ("23.976"),
GetMarkInOut omitting unset keys, GetSourceEndFrame inclusive, and items without source-frame calls for
Resolve versions before 19.0.2. Test-only: the product never imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

COLORS = {
    "Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia",
    "Rose", "Lavender", "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream",
}  # fmt: skip
RATE_STRINGS = {Fraction(24000, 1001): "23.976", Fraction(30000, 1001): "29.97", Fraction(60000, 1001): "59.94"}


def rate_string(rate: Fraction) -> str:
    return RATE_STRINGS.get(rate) or (str(int(rate)) if rate.denominator == 1 else f"{float(rate):.3f}")


class MediaPoolItem:
    def __init__(self, path: str, fps: Fraction | None, clip_type: str = "Video + Audio", name: str = ""):
        self.rate = fps
        self.properties = {
            "File Path": path,
            "FPS": rate_string(fps) if fps else "",
            "Type": clip_type,
            "Clip Name": name or path.rsplit("/", 1)[-1],
        }

    def GetClipProperty(self, key=None):
        return self.properties if key is None else self.properties.get(key, "")

    def GetName(self):
        return self.properties["Clip Name"]


@dataclass
class TimelineItem:
    name: str
    media: MediaPoolItem | None
    start: int  # absolute record frame
    duration: int  # timeline frames
    left_offset: int = 0  # source frames trimmed from the head
    clip_rate: Fraction = Fraction(24)
    timeline_rate: Fraction = Fraction(24)
    enabled: bool = True
    speed: float = 1.0
    markers: dict = field(default_factory=dict)

    def GetName(self):
        return self.name

    def GetStart(self):
        return self.start

    def GetEnd(self):
        return self.start + self.duration

    def GetDuration(self):
        return self.duration

    def GetLeftOffset(self):
        return self.left_offset

    def GetSourceStartFrame(self):
        return self.left_offset

    def GetSourceEndFrame(self):
        frames = self.duration * self.clip_rate / self.timeline_rate * Fraction(self.speed)
        return self.left_offset + round(frames) - 1  # inclusive, as Resolve reports it

    def GetMediaPoolItem(self):
        return self.media

    def GetClipEnabled(self):
        return self.enabled


class LegacyTimelineItem(TimelineItem):
    """An item as Resolve before 19.0.2 exposes it: no source-frame calls, no clip-enabled call."""

    def __getattribute__(self, name):
        if name in ("GetSourceStartFrame", "GetSourceEndFrame", "GetClipEnabled"):
            raise AttributeError(name)
        return super().__getattribute__(name)


class Timeline:
    def __init__(self, name: str, rate: Fraction, start_timecode: str = "01:00:00:00", drop_frame: bool = False):
        self.name = name
        self.rate = rate
        self.drop_frame = drop_frame
        hh, mm, ss, ff = (int(x) for x in start_timecode.replace(";", ":").split(":"))
        nominal = round(rate)
        self.start_frame = ((hh * 60 + mm) * 60 + ss) * nominal + ff
        if drop_frame:
            minutes = hh * 60 + mm
            self.start_frame -= 2 * (minutes - minutes // 10)
        self.start_timecode = start_timecode
        self.tracks: dict[str, list[list[TimelineItem]]] = {"video": [[]], "audio": [[]], "subtitle": []}
        self.markers: dict[int, dict] = {}
        self.marks: dict[str, dict] = {}
        self.playhead = self.start_frame
        self.add_marker_calls = 0

    # --- building (test side) -------------------------------------------------------------------
    def add_track(self, kind: str) -> int:
        self.tracks[kind].append([])
        return len(self.tracks[kind])

    def place(self, kind: str, track: int, item: TimelineItem) -> TimelineItem:
        while len(self.tracks[kind]) < track:
            self.tracks[kind].append([])
        item.timeline_rate = self.rate
        if item.media is not None and item.media.rate:
            item.clip_rate = item.media.rate  # the clip's own rate is its media's
        self.tracks[kind][track - 1].append(item)
        return item

    # --- the documented API ---------------------------------------------------------------------
    def GetName(self):
        return self.name

    def GetStartFrame(self):
        return self.start_frame

    def GetEndFrame(self):
        ends = [i.GetEnd() for kind in ("video", "audio") for track in self.tracks[kind] for i in track]
        return max(ends, default=self.start_frame)

    def GetStartTimecode(self):
        return self.start_timecode

    def GetSetting(self, key=""):
        settings = {
            "timelineFrameRate": rate_string(self.rate),
            "timelineDropFrameTimecode": "1" if self.drop_frame else "0",
        }
        return settings if not key else settings.get(key, "")

    def GetTrackCount(self, kind):
        return len(self.tracks.get(kind, []))

    def GetItemListInTrack(self, kind, index):
        tracks = self.tracks.get(kind, [])
        if not 1 <= index <= len(tracks):
            return None
        return sorted(tracks[index - 1], key=lambda i: i.start)

    def GetMarkers(self):
        return {frame: dict(info) for frame, info in self.markers.items()}

    def AddMarker(self, frame, color, name, note, duration, customData=""):
        self.add_marker_calls += 1
        length = self.GetEndFrame() - self.start_frame
        if frame in self.markers or color not in COLORS or duration < 1 or not 0 <= frame < max(length, 1):
            return False
        self.markers[int(frame)] = {
            "color": color,
            "duration": int(duration),
            "note": note,
            "name": name,
            "customData": customData,
        }
        return True

    def GetMarkerByCustomData(self, custom):
        for info in self.markers.values():
            if info["customData"] == custom:
                return dict(info)
        return {}

    def DeleteMarkerByCustomData(self, custom):
        for frame, info in sorted(self.markers.items()):
            if info["customData"] == custom:
                del self.markers[frame]
                return True
        return False

    def DeleteMarkersByColor(self, color):
        doomed = [f for f, i in self.markers.items() if color == "All" or i["color"] == color]
        for f in doomed:
            del self.markers[f]
        return True

    def GetMarkInOut(self):
        return {kind: dict(mark) for kind, mark in self.marks.items()}

    def SetMarkInOut(self, mark_in, mark_out, kind="all"):
        for k in ("video", "audio") if kind == "all" else (kind,):
            self.marks[k] = {"in": mark_in, "out": mark_out}
        return True

    def GetCurrentVideoItem(self):
        for track in reversed(self.tracks["video"]):  # the top-most track shows
            for item in track:
                if item.GetStart() <= self.playhead < item.GetEnd():
                    return item
        return None


class Project:
    def __init__(self, timeline: Timeline | None):
        self.timeline = timeline

    def GetCurrentTimeline(self):
        return self.timeline

    def GetName(self):
        return "Test project"


class ProjectManager:
    def __init__(self, project: Project | None):
        self.project = project

    def GetCurrentProject(self):
        return self.project


class Resolve:
    def __init__(self, timeline: Timeline | None = None, open_project: bool = True):
        self.manager = ProjectManager(Project(timeline) if open_project else None)

    def GetProjectManager(self):
        return self.manager

    def GetProductName(self):
        return "DaVinci Resolve Studio"

    def GetVersion(self):
        return [20, 2, 0, 0, ""]
