"""The labels most present in an analysed range ("what is in this clip", ``--top N``).

Every score track a request's detectors made (with ``top``, the tagger scores all of its labels) is
ranked by its peak over the label's own threshold, so labels whose scores live on different scales
(speech near 0.8, a laugh at 0.3) compare fairly: 1 or more means the label reaches its operating point.
A label below one already listed in the ontology (Snicker under Laughter) is left out: its sound is the
one listed, and a label scores its whole family.
"""

from __future__ import annotations

import numpy as np

from avevents.core.results import DetectOptions, SalientLabel
from avevents.models.audioset_ontology import descendants

from .detectors.base import Detector
from .detectors.speech_rivals import HIDDEN_PREFIX
from .postprocess import ScoreTrack


def salient_labels(
    outputs: list[tuple[Detector, list]], options: DetectOptions, start: float, end: float, count: int
) -> list[SalientLabel]:
    """The ``count`` most salient labels of [start, end) among ``outputs`` (each detector's tracks); a
    label two detectors score keeps its more salient entry, and one below a label ranked higher is left
    out."""
    best: dict[str, SalientLabel] = {}
    for detector, tracks in outputs:
        for track in tracks:
            if not isinstance(track, ScoreTrack) or track.label.startswith(HIDDEN_PREFIX) or not len(track.scores):
                continue
            times = track.start_seconds + np.arange(len(track.scores)) * track.step_seconds
            inside = (times + track.step_seconds > start) & (times < end)
            if not inside.any():
                continue
            scores = np.where(inside, np.nan_to_num(track.scores.astype(np.float64)), -1.0)
            at = int(np.argmax(scores))
            threshold = options.for_label(track.label, detector.default_options(track.label)).threshold or 0.5
            entry = SalientLabel(
                label=track.label,
                peak=round(float(scores[at]), 4),
                peak_seconds=round(float(max(times[at], start)), 6),
                threshold=round(float(threshold), 4),
                salience=round(float(scores[at]) / max(threshold, 1e-6), 4),
                detector=detector.spec.name,
            )
            if track.label not in best or entry.salience > best[track.label].salience:
                best[track.label] = entry
    ranked: list[SalientLabel] = []
    below: set[str] = set()  # the labels under those ranked so far
    for entry in sorted(best.values(), key=lambda x: (-x.salience, x.label)):
        if len(ranked) == count:
            break
        if entry.label not in below:
            ranked.append(entry)
            below.update(descendants(entry.label))
    return ranked
