"""An in-memory stand-in for DaVinci Resolve's scripting API, faithful to the documented calls and to
behaviour measured on live Resolve 19.1-21.1 (shared/docs/INTERFACES.md): 1-based track indices (None for
others), item positions in absolute record frames while timeline markers are relative to the timeline
start, AddMarker refusing an occupied frame, an unknown colour or a zero duration, GetSetting returning
rounded rate strings ("23.976"), GetMarkInOut omitting unset keys; GetLeftOffset in TIMELINE frames (a
50p clip on a 25p timeline: half its source frames; a retimed clip: position / speed); the source frame
calls one frame low on some items (``quirk="off_by_one"``), 0/0 on timelines imported from Premiere
XML (``quirk="xml_import"``), the end frame exclusive at matching rates and inclusive otherwise; and
per version (``Resolve(version=...)``): a call the version lacks is still an attribute and answers None
(GetClipEnabled 18.5, GetSourceStartFrame/EndFrame 19.0, GetMarkInOut 19.1, GetSpeed 21.1).
Test-only: the product never imports it.
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


INTRODUCED = {"GetClipEnabled": (18, 5), "GetSourceStartFrame": (19, 0), "GetSourceEndFrame": (19, 0),
              "GetMarkInOut": (19, 1), "GetSpeed": (21, 1)}  # fmt: skip
NEWEST = (21, 1, 0)


def _lacks(version: tuple, name: str) -> bool:
    return version < INTRODUCED.get(name, (0,))


@dataclass
class TimelineItem:
    name: str
    media: MediaPoolItem | None
    start: int  # absolute record frame
    duration: int  # timeline frames
    source_offset: int = 0  # the test's truth: clip frames trimmed from the source head
    clip_rate: Fraction = Fraction(24)
    timeline_rate: Fraction = Fraction(24)
    enabled: bool = True
    speed: float = 1.0
    markers: dict = field(default_factory=dict)
    quirk: str = ""  # "off_by_one" | "xml_import": measured oddities of the source frame calls
    version: tuple | None = None  # set from the timeline's Resolve when placed

    def GetName(self):
        return self.name

    def GetStart(self):
        return self.start

    def GetEnd(self):
        return self.start + self.duration

    def GetDuration(self):
        return self.duration

    def _missing(self, name: str) -> bool:
        return _lacks(self.version or NEWEST, name)

    def GetLeftOffset(self):
        # Timeline frames: the source offset at the timeline's rate, divided by the speed.
        return round(self.source_offset * self.timeline_rate / self.clip_rate / Fraction(self.speed))

    def GetSourceStartFrame(self):
        if self._missing("GetSourceStartFrame"):
            return None
        if self.quirk == "xml_import":
            return 0
        return self.source_offset - (1 if self.quirk == "off_by_one" else 0)

    def GetSourceEndFrame(self):
        if self._missing("GetSourceEndFrame"):
            return None
        if self.quirk == "xml_import":
            return 0
        frames = round(self.duration * self.clip_rate / self.timeline_rate * Fraction(self.speed))
        exclusive = self.clip_rate == self.timeline_rate  # exclusive at matching rates, inclusive otherwise
        return self.GetSourceStartFrame() + frames - (0 if exclusive else 1)

    def GetSpeed(self):
        return None if self._missing("GetSpeed") else self.speed * 100

    def GetMediaPoolItem(self):
        return self.media

    def GetClipEnabled(self):
        return None if self._missing("GetClipEnabled") else self.enabled


class LegacyTimelineItem(TimelineItem):
    """An item as Resolve 18.0 exposes it: the newer calls are attributes that answer None."""

    def __post_init__(self):
        self.version = (18, 0, 0)


class Timeline:
    def __init__(self, name: str, rate: Fraction, start_timecode: str = "01:00:00:00", drop_frame: bool = False,
                 version: tuple = NEWEST):  # fmt: skip
        self.name = name
        self.version = version
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
        if item.version is None:
            item.version = self.version
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
        if _lacks(self.version, "GetMarkInOut"):
            return None
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
        self.version = timeline.version if timeline is not None else NEWEST

    def GetProjectManager(self):
        return self.manager

    def GetProductName(self):
        return "DaVinci Resolve Studio"

    def GetVersion(self):
        return [*self.version, *([0] * (4 - len(self.version))), ""]
