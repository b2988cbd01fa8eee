"""Where a clip's media is, and which seconds of the file the clip uses.

Paths come as file URLs (``file://localhost/D%3a/media/a.mov`` from Premiere), plain POSIX or Windows
paths, or UNC shares; media that moved is found again by file name under ``--search-path`` folders.
A clip's source range is in media time, which starts at the media's own timecode (its available range,
or for an EDL the file's timecode track): file seconds = media time - that start.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from avevents.plugins.markers.media_timecode import read_clock

_WINDOWS = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\|//)")


def path_from_reference(target_url: str) -> str:
    """A file path from a media reference's target URL (or path)."""
    import opentimelineio as otio

    if target_url.lower().startswith("file:"):
        return otio.url_utils.filepath_from_url(target_url)
    return target_url


def file_name(path: str) -> str:
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1]


def locate(path: str, search_paths: list[Path]) -> Path | None:
    """The media file: at its path when it exists there, else the first file of that name under a
    search path (searched recursively)."""
    if path and not _WINDOWS.match(path) and Path(path).is_file():
        return Path(path)
    if path and os.name == "nt" and Path(path).is_file():
        return Path(path)
    name = file_name(path)
    if not name:
        return None
    for folder in search_paths:
        direct = Path(folder) / name
        if direct.is_file():
            return direct
        for root, _dirs, files in os.walk(folder):
            if name in files:
                return Path(root) / name
    return None


def locate_any(candidates: list[str], search_paths: list[Path]) -> Path | None:
    """The media file for the first candidate found: a path or URL as written (then its name under the
    search paths), or a bare clip name matched to a file's stem (an EDL's ``FROM CLIP NAME`` may omit the
    extension)."""
    for candidate in candidates:
        wanted = path_from_reference(candidate) if candidate.lower().startswith("file:") else candidate
        found = locate(wanted, search_paths)
        if found is not None:
            return found
    stems = {file_name(c).strip().lower() for c in candidates if c.strip()}
    for folder in search_paths:
        for root, _dirs, files in os.walk(folder):
            for name in sorted(files):
                if os.path.splitext(name)[0].lower() in stems:
                    return Path(root) / name
    return None


def media_timecode(path: str | Path) -> tuple[float, float | None, float | None]:
    """(seconds of the file's start timecode, 0 without one; its length in seconds or None; its video
    frame rate or None for audio-only), from one open of the file."""
    clock = read_clock(path)
    return clock.start_seconds, clock.length_seconds, clock.frame_rate
