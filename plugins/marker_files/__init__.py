"""Marker files that editors import without a timeline of ours: Resolve's timeline-marker EDL (free
edition too), Avid Media Composer's marker list, FCPXML and FCP7 XML holding the media as a clip with its
markers, SRT and WebVTT (one cue per event). The kinds are declared as data and their writers imported
only when used."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MarkerFileKind:
    name: str  # what --format and the --markers option take
    suffix: str
    module: str  # under avevents.plugins.marker_files, with a ``render(marked) -> str``
    title: str


KINDS = {
    k.name: k
    for k in (
        MarkerFileKind("resolve-edl", ".edl", "resolve_edl", "DaVinci Resolve timeline markers (EDL)"),
        MarkerFileKind("avid", ".txt", "avid", "Avid Media Composer marker list"),
        MarkerFileKind("fcpxml", ".fcpxml", "fcpxml_clip", "Final Cut Pro / Resolve FCPXML clip with markers"),
        MarkerFileKind("fcp7xml", ".xml", "fcp7_clip", "Premiere / Resolve FCP7 XML sequence with markers"),
        MarkerFileKind("srt", ".srt", "subtitles", "SubRip subtitles, one cue per event"),
        MarkerFileKind("vtt", ".vtt", "subtitles", "WebVTT subtitles, one cue per event"),
    )
}


def render(kind: str, marked) -> str:
    """The text of marker file ``kind`` for ``marked`` (a ``timing.MarkedMedia``)."""
    import importlib

    module = importlib.import_module(f"avevents.plugins.marker_files.{KINDS[kind].module}")
    return module.render(marked, kind)
