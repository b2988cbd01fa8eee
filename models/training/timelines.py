"""Few-shot training from editors' own markers: timelines (OTIO, FCP7 XML, FCPXML, EDL) whose markers name
events become per-segment training data on frozen embeddings, so a user can teach a new event from a few
examples in minutes on a CPU. avevents' own markers are ignored; clip markers are in the clip's media
time, timeline markers are mapped onto the clips under them; the unmarked parts of the clips (and clips
without markers) are the examples of what the events are not."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from avevents.core.errors import InvalidRequest

from .cache import video_features

log = logging.getLogger(__name__)
SLOT = 0.5
MIN_MARK_SECONDS = 0.5  # a point marker marks the half second after it


@dataclass
class TimelineExamples:
    labels: list[str]
    audio: np.ndarray
    video: np.ndarray
    present: np.ndarray
    targets: np.ndarray  # [N, C] multi-hot
    clips: int = 0
    skipped: list[str] = field(default_factory=list)


def _user_marks(clip, stack) -> list[tuple[str, float, float]]:
    """(name, start, end) in the clip's media time (seconds) of the user's markers on or over the clip."""
    import opentimelineio as otio

    from avevents.plugins.premiere_bridge.markers import is_own

    marks = []
    for m in clip.markers:
        if not is_own(m) and m.name.strip():
            marks.append(
                (
                    m.name.strip(),
                    m.marked_range.start_time.to_seconds(),
                    m.marked_range.end_time_exclusive().to_seconds(),
                )
            )
    if stack is None:  # a clip on its own, outside any timeline
        return marks
    span = clip.transformed_time_range(clip.trimmed_range(), stack)
    for m in stack.markers:
        if is_own(m) or not m.name.strip():
            continue
        r = m.marked_range
        if r.start_time < span.start_time or r.start_time >= span.end_time_exclusive():
            continue
        local = stack.transformed_time_range(r, clip)
        if isinstance(local, otio.opentime.TimeRange):
            marks.append((m.name.strip(), local.start_time.to_seconds(), local.end_time_exclusive().to_seconds()))
    return marks


def collect(
    paths: list[Path], models, audio_encoder: str, video_encoder: str, cache_dir: Path, search_paths=(), rate=None
) -> TimelineExamples:
    from avevents.plugins.premiere_bridge.bridge import BridgeOptions, BridgeReport, media_pieces
    from avevents.plugins.premiere_bridge.formats import guess_format, read_timeline
    from avevents.plugins.premiere_bridge.otio_document import OtioDocument

    rows: list[tuple] = []  # (audio, video, present, marks in file seconds, first slot)
    skipped: list[str] = []
    for path in map(Path, paths):
        fmt = guess_format(path)
        # Through OTIO: its adapters read every format's user markers (the bridge's own readers edit bytes).
        document = OtioDocument(read_timeline(path, fmt, rate), fmt)
        report = BridgeReport()
        for piece in media_pieces(document, BridgeOptions(search_paths=list(search_paths), rate=rate), report):
            clip, origin = piece.target.clip, piece.target.origin
            marks = _user_marks(clip, piece.target.stack)  # a clip without marks teaches what they are not
            a, v, p = video_features(Path(piece.path), models, audio_encoder, video_encoder, cache_dir, SLOT)
            first = int(piece.source_start // SLOT)
            last = min(len(p), int(np.ceil(piece.source_end / SLOT)))
            file_marks = [(name, s - origin, max(e - origin, s - origin + MIN_MARK_SECONDS)) for name, s, e in marks]
            rows.append((a[first:last], v[first:last], p[first:last], [(n, s, e) for n, s, e in file_marks], first))
        skipped += [f"{c.track} {c.name!r}: {c.detail}" for c in report.clips if c.status != "marked"]
    labels = sorted({name for *_, marks, _ in rows for name, _, _ in marks})
    if not labels:
        raise InvalidRequest("no clip in these timelines has markers of yours on it (name a marker after its event)")
    audio, video, present, targets = [], [], [], []
    for a, v, p, marks, first in rows:
        mid = (np.arange(len(p)) + first) * SLOT + SLOT / 2
        y = np.zeros((len(p), len(labels)), np.float32)
        for name, s, e in marks:
            y[(mid >= s) & (mid < e), labels.index(name)] = 1
        audio.append(a)
        video.append(v)
        present.append(p)
        targets.append(y)
    return TimelineExamples(
        labels,
        np.concatenate(audio),
        np.concatenate(video),
        np.concatenate(present),
        np.concatenate(targets),
        len(rows),
        skipped,
    )
