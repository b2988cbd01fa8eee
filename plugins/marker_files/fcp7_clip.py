"""FCP7 XML (xmeml 4: Premiere Pro, Resolve, Final Cut Pro 7): a sequence named after the media holding
the media as one clipitem, with one ``<marker>`` per event in the clipitem (its ``<in>``/``<out>`` are
media frames from the first frame, ``<out>`` -1 for a point), and the file's timecode."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from xml.sax.saxutils import escape

from avevents.plugins.markers.rates import nominal

from .timing import MarkedMedia


def _rate(rate: Fraction) -> str:
    ntsc = "TRUE" if rate.denominator != 1 else "FALSE"
    return f"<rate><timebase>{nominal(rate)}</timebase><ntsc>{ntsc}</ntsc></rate>"


def render(marked: MarkedMedia, kind: str = "fcp7xml") -> str:
    rate, length = marked.rate, marked.duration_frames
    name = escape(Path(marked.path).name)
    url = escape(Path(marked.path).absolute().as_uri())
    timecode = (
        f"<timecode>{_rate(rate)}<string>{marked.timecode(0)}</string><frame>{marked.start_frame}</frame>"
        f"<displayformat>{'DF' if marked.drop_frame else 'NDF'}</displayformat></timecode>"
    )
    media = []
    if marked.has_video:
        size = f"<width>{marked.width}</width><height>{marked.height}</height>" if marked.width else ""
        media.append(f"<video><samplecharacteristics>{_rate(rate)}{size}</samplecharacteristics></video>")
    if marked.sample_rate:
        media.append(f"<audio><samplecharacteristics><samplerate>{marked.sample_rate}</samplerate>"
                     "</samplecharacteristics></audio>")  # fmt: skip
    markers = []
    for marker in marked.markers:
        out = marker.frame + marker.duration if marker.duration else -1
        title = f"{marker.name} {float(marker.event.get('confidence') or 0):.2f}"
        markers.append(
            f"\t\t\t\t\t\t<marker><comment>{escape(marker.note)}</comment><name>{escape(title)}</name>"
            f"<in>{marker.frame}</in><out>{out}</out></marker>"
        )
    track = "video" if marked.has_video else "audio"
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!DOCTYPE xmeml>",
        '<xmeml version="4">',
        f'\t<sequence id="sequence-1"><name>{escape(Path(marked.path).stem)} (avevents)</name>'
        f"<duration>{length}</duration>{_rate(rate)}{timecode}",
        f"\t\t<media><{track}><track>",
        f'\t\t\t\t<clipitem id="clipitem-1"><name>{name}</name><duration>{length}</duration>{_rate(rate)}'
        f"<start>0</start><end>{length}</end><in>0</in><out>{length}</out>",
        f'\t\t\t\t\t<file id="file-1"><name>{name}</name><pathurl>{url}</pathurl>{_rate(rate)}'
        f"<duration>{length}</duration>{timecode}<media>{''.join(media)}</media></file>",
        *markers,
        "\t\t\t\t</clipitem>",
        f"\t\t\t</track></{track}></media>",
        "\t</sequence>",
        "</xmeml>",
    ]
    return "\n".join(lines) + "\n"
