"""The field's measures: AVE's supervised metric (segment accuracy over the ten one-second segments of
each video) and event-based precision / recall / F1 with onset and offset tolerances (sed_eval-style:
onset within a collar, offset within the larger of the collar and a fraction of the event's length)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Span:
    label: int
    start: float
    end: float


def spans(segments: np.ndarray, background: int, segment_seconds: float = 1.0) -> list[Span]:
    """Runs of one non-background class in a [T] sequence of class indices."""
    out, t = [], 0
    while t < len(segments):
        label = int(segments[t])
        end = t
        while end + 1 < len(segments) and segments[end + 1] == label:
            end += 1
        if label != background:
            out.append(Span(label, t * segment_seconds, (end + 1) * segment_seconds))
        t = end + 1
    return out


@dataclass
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


def event_scores(
    predicted: list[list[Span]], reference: list[list[Span]], classes: int, collar: float = 1.0, length_fraction=0.2
) -> tuple[dict[int, ClassScores], ClassScores]:
    """Per-class and micro-averaged event scores; one predicted span matches at most one reference span."""
    tp = np.zeros(classes)
    fp = np.zeros(classes)
    fn = np.zeros(classes)
    for pred, ref in zip(predicted, reference):
        used = set()
        for p in pred:
            match = None
            for j, r in enumerate(ref):
                offset_collar = max(collar, length_fraction * (r.end - r.start))
                if (
                    j not in used
                    and r.label == p.label
                    and abs(p.start - r.start) <= collar
                    and abs(p.end - r.end) <= offset_collar
                ):
                    match = j
                    break
            if match is None:
                fp[p.label] += 1
            else:
                used.add(match)
                tp[p.label] += 1
        for j, r in enumerate(ref):
            if j not in used:
                fn[r.label] += 1

    def scores(t, f_p, f_n) -> ClassScores:
        precision = t / (t + f_p) if t + f_p else 0.0
        recall = t / (t + f_n) if t + f_n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return ClassScores(float(precision), float(recall), float(f1), int(t + f_n))

    per_class = {c: scores(tp[c], fp[c], fn[c]) for c in range(classes) if tp[c] + fp[c] + fn[c]}
    return per_class, scores(tp.sum(), fp.sum(), fn.sum())
