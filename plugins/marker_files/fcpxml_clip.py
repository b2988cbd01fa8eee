"""FCPXML 1.9 (Final Cut Pro 10.4.1+, Resolve): the media as an asset, and a project named after it in an
event named "avevents" whose timeline holds the whole clip with one marker per event, in the clip's own
time (the asset's start is the media's start timecode, so a marker's start is that plus its frame; the
project's timecode starts there too). A project rather than a bare browser clip: Resolve imports FCPXML
timelines, and OpenTimelineIO's adapter reads only projects. Times are exact rationals of the frame
duration; a point event is a one-frame marker."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from xml.sax.saxutils import quoteattr

from .timing import MarkedMedia


def _time(frames: int, rate: Fraction) -> str:
    seconds = Fraction(frames) / rate
    return f"{seconds.numerator}s" if seconds.denominator == 1 else f"{seconds.numerator}/{seconds.denominator}s"


def render(marked: MarkedMedia, kind: str = "fcpxml") -> str:
    rate = marked.rate
    frame = 1 / rate
    size = f' width="{marked.width}" height="{marked.height}"' if marked.has_video and marked.width else ""
    start, length = _time(marked.start_frame, rate), _time(marked.duration_frames, rate)
    url = Path(marked.path).absolute().as_uri()
    name = quoteattr(Path(marked.path).stem)
    video = "1" if marked.has_video else "0"
    audio = "1" if marked.sample_rate else "0"
    tc_format = "DF" if marked.drop_frame else "NDF"
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!DOCTYPE fcpxml>",
        '<fcpxml version="1.9">',
        "    <resources>",
        f'        <format id="r1" frameDuration="{frame.numerator}/{frame.denominator}s"{size}/>',
        f'        <asset id="r2" name={name} start="{start}" duration="{length}" hasVideo="{video}" '
        f'hasAudio="{audio}" format="r1">',
        f'            <media-rep kind="original-media" src={quoteattr(url)}/>',
        "        </asset>",
        "    </resources>",
        "    <library>",
        '        <event name="avevents">',
        f"            <project name={quoteattr(Path(marked.path).stem + ' (avevents)')}>",
        f'                <sequence format="r1" duration="{length}" tcStart="{start}" tcFormat="{tc_format}">',
        "                    <spine>",
        f'                        <asset-clip ref="r2" name={name} offset="{start}" start="{start}" '
        f'duration="{length}" format="r1" tcFormat="{tc_format}">',
    ]
    for marker in marked.markers:
        title = f"{marker.name} {float(marker.event.get('confidence') or 0):.2f}"
        lines.append(
            f'                            <marker start="{_time(marked.start_frame + marker.frame, rate)}" '
            f'duration="{_time(max(1, marker.duration), rate)}" value={quoteattr(title)} '
            f"note={quoteattr(marker.note)}/>"
        )
    lines += [
        "                        </asset-clip>",
        "                    </spine>",
        "                </sequence>",
        "            </project>",
        "        </event>",
        "    </library>",
        "</fcpxml>",
    ]
    return "\n".join(lines) + "\n"
