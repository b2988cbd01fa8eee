"""AudioSet labels from the EfficientAT tagger on sliding windows (2 s long, every 0.5 s), batched.

The log-mel spectrogram is computed once, streaming, and windows are cut from it. A label's window score
is the highest over its family (the label and the classes below it in the ontology: Laughter counts
Giggle, Snicker, Chuckle...). Each half-second slot lies in four windows; it takes the mean of the two in
which it is most central (0.5-1.5 s from the window's edges). Measured on real recordings (bench/RESULTS.md,
issue 17), the lowest of the four, used before, lost every short sound (a real laugh's peak 0.03 against
0.50 centred, a clap 0.14 against 0.59) while the centred mean keeps them and widens an event by at most
one slot on each side; the highest of the four widens it further and fires more falsely.

Each label has its own operating point (``avevents.models.audioset_operating_points``).
"""

from __future__ import annotations

import numpy as np

from avevents.core.results import GridTrack, LabelOptions
from avevents.models.audioset import AudioSetTagger
from avevents.models.audioset_ontology import family
from avevents.models.audioset_operating_points import operating_point
from avevents.models.mel import FRAMES_PER_SECOND, SAMPLE_RATE, StreamingLogMel

from ..media.decode import AudioBlock
from ..postprocess import ScoreTrack
from .base import Detector, DetectorSpec
from .speech_rivals import RIVAL_BRANCHES, TAGGER_SPEECH, VOCAL_RIVALS

WINDOW_SECONDS = 2.0
HOP_SECONDS = 0.5
BATCH = 32
MIN_FRAMES = 32  # the network downsamples time by 32
QUIETER_THAN_NEIGHBOUR_DB = 20.0  # a slot this much quieter than one beside it holds only its neighbour's edge
SILENCE_MEL = (np.log(1e-5) + 4.5) / 5.0  # the front end's value for digital silence


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
        index = tagger.labels.index
        self.families = [np.array([index[x] for x in family(label, index)]) for label in labels]
        rivals = {x for branch in RIVAL_BRANCHES for x in family(branch, index) if x in index}
        speech = [index[x] for x in family("Speech", index) if x in index]
        self.families += [np.array(speech), np.array(sorted(index[x] for x in rivals))]
        self.tracks = [*labels, TAGGER_SPEECH, VOCAL_RIVALS]
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
        return operating_point(label)

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
            self.scores.append(_family_scores(probs, self.families))
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
                ScoreTrack(label, start, HOP_SECONDS, WINDOW_SECONDS, np.zeros(0, np.float32)) for label in self.tracks
            ]
        scores = np.concatenate(self.scores)
        per_window = self.window // self.hop
        slots = _slot_scores(scores, per_window)
        # Only the labels' slots are trimmed: the hidden speech-gate tracks keep the centred scores, so they
        # vouch for Silero's steps at a word's edges too (trimmed, 3 of 32 real words were lost to the gate).
        k = len(self.labels)
        slots[:, :k] = _trim_quiet_edges(slots[:, :k], scores[:, :k], per_window, self.slot_levels())
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
            for i, label in enumerate(self.tracks)
        ]

    def grid(self) -> GridTrack:
        return GridTrack(self.spec.name, "audio", HOP_SECONDS, WINDOW_SECONDS, SAMPLE_RATE)


def _family_scores(probs: np.ndarray, families: list[np.ndarray]) -> np.ndarray:
    """[windows, labels]: each label's highest score over the columns of its family."""
    out = np.empty((len(probs), len(families)), np.float32)
    for i, columns in enumerate(families):
        out[:, i] = probs[:, columns].max(axis=1) if len(columns) else 0.0
    return out


def _trim_quiet_edges(slots: np.ndarray, windows: np.ndarray, per_window: int, levels: np.ndarray) -> np.ndarray:
    """Boundary refinement: a slot far quieter than a slot beside it (within a second) holds no sound of
    its own, only the edge of its neighbour's, so there the centred score, which hears the neighbour,
    gives way to the lowest window score. An event over room tone then starts and ends at the slots that
    hold the sound (measured on real long-form files: a music loop's onset error -1.2 s before, -0.2 s
    after, see bench/RESULTS.md); a sustained sound, level with its neighbours, keeps its centred score."""
    n = min(len(slots), len(levels))
    if n == 0:
        return slots
    reach = 2  # slots on each side: as far as a centred window hears
    padded = np.pad(levels[:n], reach, mode="edge")
    loudest_near = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1).max(axis=1)
    edge = levels[:n] < loudest_near - QUIETER_THAN_NEIGHBOUR_DB
    if not edge.any():
        return slots
    lowest = np.stack([windows[k : k + len(slots)] for k in range(per_window)]).min(axis=0)
    out = slots.copy()
    out[:n][edge] = np.minimum(slots[:n][edge], lowest[:n][edge])
    return out


def _slot_scores(windows: np.ndarray, per_window: int) -> np.ndarray:
    """[slots, labels]: window k starts ``per_window - 1`` hops before slot k, so slot j lies in windows
    j .. j + per_window - 1 and takes the mean of the middle ones, in which it is most central."""
    count = max(1, len(windows) - per_window + 1)
    half = per_window // 2
    middle = (half - 1, half) if per_window % 2 == 0 else (half,)
    parts = [windows[k : k + count] for k in middle]
    return (sum(parts) / len(parts)).astype(np.float32)
