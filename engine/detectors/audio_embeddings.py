"""Audio embeddings on the half-second analysis slots, from whichever audio encoder a pack uses: the
AudioSet tagger (its windows' embeddings, 32 kHz) or Wav2Vec2 (its 20 ms frames, 16 kHz), both streamed."""

from __future__ import annotations

import numpy as np

from ..media.decode import AudioBlock
from .audioset import HOP_SECONDS, AudioSetDetector


class TaggerAudio:
    """The tagger's window embeddings, a slot's being the mean of the windows that contain it."""

    def __init__(self, tagger):
        self.encoder = tagger
        self.rate = AudioSetDetector.spec.sample_rate
        self.detector = AudioSetDetector(tagger, [], keep_embeddings=True)

    @property
    def start(self) -> float | None:
        return self.detector.start

    def feed(self, block: AudioBlock) -> None:
        self.detector.feed_audio(block)

    def finish(self) -> np.ndarray | None:
        self.detector.finish()
        return self.detector.slot_embeddings


class Wav2VecAudio:
    """Wav2Vec2 hidden states averaged per slot, encoded in whole-slot chunks as the audio arrives."""

    def __init__(self, encoder):
        self.encoder = encoder
        self.rate = encoder.sample_rate
        self.slot = int(HOP_SECONDS * self.rate)
        self.chunk = self.slot * 40  # 20 s
        self.buffer: list[np.ndarray] = []
        self.buffered = 0
        self.slots: list[np.ndarray] = []
        self.start: float | None = None

    def feed(self, block: AudioBlock) -> None:
        if self.start is None:
            self.start = block.start_seconds
        self.buffer.append(block.samples)
        self.buffered += len(block.samples)
        if self.buffered >= self.chunk:
            samples = np.concatenate(self.buffer)
            self._encode(samples[: self.chunk])
            self.buffer, self.buffered = [samples[self.chunk :]], len(samples) - self.chunk

    def _encode(self, samples: np.ndarray) -> None:
        hidden = self.encoder.embed(samples)
        if not len(hidden):
            return
        count = -(-len(samples) // self.slot)
        per_slot = len(hidden) / count  # 25 frames of 20 ms
        for j in range(count):
            lo, hi = int(j * per_slot), max(int((j + 1) * per_slot), int(j * per_slot) + 1)
            self.slots.append(hidden[lo:hi].mean(axis=0))

    def finish(self) -> np.ndarray | None:
        if self.buffered:
            self._encode(np.concatenate(self.buffer))
        self.buffer, self.buffered = [], 0
        return np.stack(self.slots) if self.slots else None


def audio_embedder(encoder):
    """The slot embedder for a loaded audio encoder."""
    return Wav2VecAudio(encoder) if hasattr(encoder, "embed") else TaggerAudio(encoder)
