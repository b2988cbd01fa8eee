"""AudioSet labels from the EfficientAT tagger on sliding windows (2 s long, every 0.5 s), batched.

The log-mel spectrogram is computed once, streaming, and windows are cut from it. A window scores high
as soon as any part of it holds the sound, so each half-second slot takes the lowest score of the
windows that contain it: inside a sound all of them are high, at its edges at least one is not. Range
edges then fall within a slot of the sound's (a short bark lands in its own slot).
"""

from __future__ import annotations

import numpy as np

from avevents.core.results import GridTrack, LabelOptions
from avevents.models.audioset import AudioSetTagger
from avevents.models.mel import FRAMES_PER_SECOND, SAMPLE_RATE, StreamingLogMel

from ..media.decode import AudioBlock
from ..postprocess import ScoreTrack
from .base import Detector, DetectorSpec

WINDOW_SECONDS = 2.0
HOP_SECONDS = 0.5
BATCH = 32
MIN_FRAMES = 32  # the network downsamples time by 32
SILENCE_MEL = (np.log(1e-5) + 4.5) / 5.0  # the front end's value for digital silence
DEFAULTS = LabelOptions(threshold=0.3, release_threshold=0.15, min_event_seconds=1.0, merge_gap_seconds=1.0)


class AudioSetDetector(Detector):
    spec = DetectorSpec(
        name="audioset",
        labels=(),  # any of the tagger's 527, chosen per request
        modality="audio",
        model="efficientat",
        sample_rate=SAMPLE_RATE,
        description="AudioSet event tagger (EfficientAT)",
    )

    @classmethod
    def create_for(cls, models, media, labels: list[str], model_names: tuple[str, ...]) -> AudioSetDetector:
        """The tagger ``model_names[0]`` (the plan's) on ``labels``."""
        return cls(models.get(model_names[0]), labels)

    def __init__(self, tagger: AudioSetTagger, labels: list[str], keep_embeddings: bool = False):
        self.tagger = tagger
        self.keep_embeddings = keep_embeddings
        self.embeddings: list[np.ndarray] = []
        self.slot_embeddings: np.ndarray | None = None  # [slots, C] after finish, when kept
        self.labels = labels
        self.columns = [tagger.labels.index[label] for label in labels]
        self._model = f"{tagger.name} {tagger.version}"
        self.mel = StreamingLogMel(tagger.mel)
        self.window = int(WINDOW_SECONDS * FRAMES_PER_SECOND)
        self.hop = int(HOP_SECONDS * FRAMES_PER_SECOND)
        # Both ends are padded with digital silence so that every half-second slot, the first and the
        # last too, lies in a full set of windows (see _slot_scores).
        self.pad = self.window - self.hop
        self.frames = np.full((128, self.pad), SILENCE_MEL, np.float32)  # frames a future window needs
        self.frames_start = -self.pad  # index of frames[:, 0]
        self.next_window = -self.pad  # first frame of the next window
        self.batch: list[np.ndarray] = []
        self.scores: list[np.ndarray] = []
        self.start: float | None = None
        self.hop_samples = int(HOP_SECONDS * SAMPLE_RATE)
        self.energy: list[float] = []  # sum of squares per half-second slot, for slot_levels
        self.energy_fill = 0  # samples already in the last entry

    @property
    def model(self) -> str:
        return self._model

    def default_options(self, label: str) -> LabelOptions:
        return DEFAULTS

    def feed_audio(self, block: AudioBlock) -> None:
        if self.start is None:
            self.start = block.start_seconds
        self._add_energy(block.samples)
        self._add(self.mel.push(block.samples))

    def _add_energy(self, samples: np.ndarray) -> None:
        x = samples.astype(np.float64, copy=False)
        while len(x):
            if not self.energy or self.energy_fill == self.hop_samples:
                self.energy.append(0.0)
                self.energy_fill = 0
            take = min(len(x), self.hop_samples - self.energy_fill)
            self.energy[-1] += float(np.dot(x[:take], x[:take]))
            self.energy_fill += take
            x = x[take:]

    def slot_levels(self) -> np.ndarray:
        """RMS level (dBFS) of the audio fed, per half-second slot (the last one may be shorter)."""
        if not self.energy:
            return np.zeros(0)
        counts = np.full(len(self.energy), self.hop_samples, np.float64)
        counts[-1] = max(self.energy_fill, 1)
        return 10.0 * np.log10(np.asarray(self.energy) / counts + 1e-20)

    def _add(self, frames: np.ndarray) -> None:
        if frames.shape[1]:
            self.frames = np.concatenate((self.frames, frames), axis=1)
        end = self.frames_start + self.frames.shape[1]
        while self.next_window + self.window <= end:
            lo = self.next_window - self.frames_start
            self.batch.append(self.frames[:, lo : lo + self.window])
            self.next_window += self.hop
            if len(self.batch) == BATCH:
                self._run()
        drop = self.next_window - self.frames_start
        if drop > 0:
            self.frames = self.frames[:, drop:]
            self.frames_start += drop

    def _run(self) -> None:
        if self.batch:
            probs, embedding = self.tagger.score(np.stack(self.batch)[:, None])
            self.scores.append(probs[:, self.columns])
            if self.keep_embeddings:
                self.embeddings.append(embedding)
            self.batch = []

    def finish(self) -> list[ScoreTrack]:
        self._add(self.mel.finish())
        total = self.frames_start + self.frames.shape[1]  # real frames
        if total < MIN_FRAMES:
            self.batch = []
            self.scores = []
            self.embeddings = []
        else:
            self._add(np.full((128, self.pad), SILENCE_MEL, np.float32))
        self._run()
        start = self.start or 0.0
        if not self.scores:
            return [
                ScoreTrack(label, start, HOP_SECONDS, WINDOW_SECONDS, np.zeros(0, np.float32)) for label in self.labels
            ]
        scores = np.concatenate(self.scores)
        per_window = self.window // self.hop
        slots = _slot_scores(scores, per_window)
        # The last slot stands for the audio after the last window's start, up to the end.
        covered = len(slots) * HOP_SECONDS
        extra = max(0, int(np.ceil((total / FRAMES_PER_SECOND - covered) / HOP_SECONDS)))
        slots = np.concatenate((slots, np.repeat(slots[-1:], extra, axis=0)))
        if self.keep_embeddings:
            # A slot's embedding: the mean over the windows that contain it.
            embedding = np.concatenate(self.embeddings).astype(np.float64)
            sums = np.cumsum(np.concatenate((np.zeros((1, embedding.shape[1])), embedding)), axis=0)
            count = max(1, len(embedding) - per_window + 1)
            hi = np.minimum(np.arange(count) + per_window, len(embedding))
            means = (sums[hi] - sums[np.arange(count)]) / (hi - np.arange(count))[:, None]
            self.slot_embeddings = np.concatenate((means, np.repeat(means[-1:], extra, axis=0)))
        return [
            ScoreTrack(label, start, HOP_SECONDS, HOP_SECONDS, slots[:, i].astype(np.float32))
            for i, label in enumerate(self.labels)
        ]

    def grid(self) -> GridTrack:
        return GridTrack(self.spec.name, "audio", HOP_SECONDS, WINDOW_SECONDS, SAMPLE_RATE)


def _slot_scores(windows: np.ndarray, per_window: int) -> np.ndarray:
    """[slots, labels]: window k starts ``per_window - 1`` hops before slot k, so slot j lies in windows
    j .. j + per_window - 1 and takes the lowest of their scores."""
    count = max(1, len(windows) - per_window + 1)
    out = np.empty((count, windows.shape[1]), np.float32)
    for j in range(count):
        out[j] = windows[j : j + per_window].min(axis=0)
    return out
