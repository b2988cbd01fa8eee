"""Scene cuts: hard cuts from frame differences of small luma thumbnails, on every decoded frame.

A frame is a cut when (1) it differs from its predecessor far more than neighbouring frames differ from
theirs (an adaptive ratio: pans, fades and noise raise every difference, a cut raises one), (2) the
difference is large in absolute terms, and (3) the new picture persists: the frames after it still
differ from the frame before it, which rejects single-frame flashes. Times come from each frame's own
timestamp, so variable-frame-rate files are cut at the right instant.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from avevents.core.results import GridTrack, LabelOptions

from ..media.decode import VideoFrame
from ..postprocess import PointCandidates
from .base import Detector, DetectorSpec

NEIGHBOURS = 2  # frames each side that set the local level of change ...
CONTEXT = 8  # ... together with the largest change this many frames each side
HISTORY = 64  # frames of differences kept (> 2 * CONTEXT + 2)
CONTEXT_WEIGHT = 0.5  # (a shot with periodic jumps - strobes, sliding graphics - is not cut by them)
PERSIST = 2  # frames after the cut that must still differ from the frame before it
MIN_DIFFERENCE = 8.0  # mean absolute luma difference (0..255) below which nothing is a cut
NOISE_LEVEL = 2.0  # added to the local level so a static shot's tiny changes do not divide by ~0
RATIO_SCALE = 3.0  # ratio above 1 per unit of the score's exponent
PERSIST_FRACTION = 0.5  # the new picture must keep at least this share of the cut's difference


class CutDetector(Detector):
    spec = DetectorSpec(
        name="cuts",
        labels=("Scene cut",),
        modality="video",
        model="avevents-cuts 1",
        luma_thumbnails=True,
        defaults=(("Scene cut", LabelOptions(0.5, 0.5, 0.25, 0.0)),),
        description="hard cuts between shots",
    )

    @classmethod
    def create(cls, models, media) -> CutDetector:
        return cls(1.0 / float(media.frame_rate) if media.frame_rate else 1 / 25)

    def __init__(self, frame_seconds: float = 1 / 25):
        self.frame_seconds = frame_seconds
        self.frames: deque[VideoFrame] = deque(maxlen=CONTEXT + 3)
        # diffs[k - offset]: frame k vs frame k-1 (frame 0: 0); times likewise. Only the last
        # HISTORY frames are kept, so memory stays flat however long the video.
        self.diffs: list[float] = []
        self.times: list[float] = []
        self.offset = 0
        self.count = 0
        self.candidates: list[tuple[float, float, float]] = []  # time, length, score
        self.pending: deque[int] = deque()  # frame indices awaiting enough look-ahead

    def feed_video(self, frame: VideoFrame) -> None:
        if frame.luma is None:
            return
        previous = self.frames[-1] if self.frames else None
        self.diffs.append(_difference(previous.luma, frame.luma) if previous is not None else 0.0)
        self.times.append(frame.time_seconds)
        self.frames.append(frame)
        index = self.count
        self.count += 1
        self.pending.append(index)
        # Frame k can be judged once CONTEXT frames after it have arrived.
        while self.pending and self.pending[0] + CONTEXT <= index:
            self._judge(self.pending.popleft(), index)
        if len(self.diffs) > 2 * HISTORY:
            drop = len(self.diffs) - HISTORY
            del self.diffs[:drop], self.times[:drop]
            self.offset += drop

    def finish(self) -> list[PointCandidates]:
        last = self.count - 1
        while self.pending:
            self._judge(self.pending.popleft(), last)
        if not self.candidates:
            return [PointCandidates("Scene cut", np.zeros(0), np.zeros(0), np.zeros(0))]
        times, lengths, scores = (np.array(column) for column in zip(*self.candidates))
        return [PointCandidates("Scene cut", times, lengths, scores)]

    def _judge(self, k: int, newest: int) -> None:
        if k == 0:
            return
        diff = self._diff
        d = diff(k)
        if d < MIN_DIFFERENCE:
            return
        near = [diff(j) for j in range(max(1, k - NEIGHBOURS), min(newest, k + NEIGHBOURS) + 1) if j != k]
        wide = [diff(j) for j in range(max(1, k - CONTEXT), min(newest, k + CONTEXT) + 1) if j != k]
        local = max(float(np.mean(near)) if near else 0.0, CONTEXT_WEIGHT * max(wide, default=0.0))
        ratio = d / (local + NOISE_LEVEL)
        score = 1.0 - np.exp(-max(0.0, ratio - 1.0) / RATIO_SCALE)
        if score <= 0.0 or not self._persists(k, newest, d):
            return
        t = self.times[k - self.offset]
        length = (self.times[k + 1 - self.offset] - t) if k + 1 < self.count else self.frame_seconds
        self.candidates.append((t, length, float(score)))

    def _diff(self, k: int) -> float:
        return self.diffs[k - self.offset]

    def _persists(self, k: int, newest: int, d: float) -> bool:
        """The new picture (frames k..k+PERSIST) differs from the old one (frames k-2, k-1).

        A flash fails on both sides: entering it, the frames after return to the old picture; leaving
        it, the new picture matches the frame before the flash.
        """
        by_index = {newest - i: f for i, f in enumerate(reversed(self.frames))}
        for old in (k - 1, k - 2):
            before = by_index.get(old)
            if before is None or old < 0:
                continue
            for j in range(k, min(newest, k + PERSIST) + 1):
                after = by_index.get(j)
                if j == k and old == k - 1:
                    continue  # that is the difference being judged
                if after is not None and _difference(before.luma, after.luma) < PERSIST_FRACTION * d:
                    return False
        return True

    def grid(self) -> GridTrack:
        return GridTrack(self.spec.name, "video", self.frame_seconds, self.frame_seconds)


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:  # a resolution change mid-stream is a cut
        return 255.0
    return float(np.mean(np.abs(a - b)))
