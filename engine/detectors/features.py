"""Per-segment embeddings of one file from both encoders, on the half-second analysis slots: what the
learned fusion network reads (and what training on a file would cache)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avevents.models.mel import SAMPLE_RATE
from avevents.models.vision import VisionEncoder

from ..media.decode import AudioBlock, VideoFrame
from .audio_embeddings import audio_embedder
from .audioset import HOP_SECONDS
from .base import DetectorSpec
from .slots import PictureBatches, batch_for


@dataclass
class SegmentFeatures:
    """Aligned embeddings: ``audio`` [T, Da] and ``video`` [T, Dv] (zeros where a modality is missing),
    ``present`` [T, 2] (1 where audio / video exist), slot k starting at ``start + k * hop``."""

    start: float
    hop: float
    audio: np.ndarray
    video: np.ndarray
    present: np.ndarray

    def regrouped(self, seconds: float) -> SegmentFeatures:
        """Averaged onto longer segments (a whole multiple of the hop; the last one may be shorter)."""
        k = max(1, round(seconds / self.hop))
        if k == 1 or not len(self.present):
            return self
        n = -(-len(self.present) // k)

        def mean(rows: np.ndarray) -> np.ndarray:
            padded = np.concatenate((rows, np.repeat(rows[-1:], n * k - len(rows), axis=0)))
            return padded.reshape(n, k, -1).mean(axis=1).astype(np.float32)

        return SegmentFeatures(self.start, self.hop * k, mean(self.audio), mean(self.video), mean(self.present))


class FeatureCollector:
    """Fed like a detector; ``finish`` gives the file's ``SegmentFeatures``. ``audio_encoder``: a loaded
    tagger or Wav2Vec2 (None without audio); the audio is decoded at the rate that encoder wants."""

    def __init__(self, audio_encoder, vision: VisionEncoder | None, audio_dim: int, video_dim: int):
        self.audio = audio_embedder(audio_encoder) if audio_encoder is not None else None
        self.audio_encoder = audio_encoder
        self.vision = vision
        self.audio_dim, self.video_dim = audio_dim, video_dim
        device = vision.device if vision is not None else ""
        self.pictures = PictureBatches(lambda pictures: vision.encode(pictures)[1], batch_for(device))
        self.start: float | None = None
        self.spec = DetectorSpec(
            name="features",
            labels=(),
            modality="av",
            model="encoders",
            sample_rate=self.audio.rate if self.audio is not None else SAMPLE_RATE,
            pictures=True,
            description="per-segment audio and frame embeddings",
        )

    def feed_audio(self, block: AudioBlock) -> None:
        if self.audio is not None:
            self.audio.feed(block)

    def feed_video(self, frame: VideoFrame) -> None:
        if frame.picture is None or self.vision is None:
            return
        if self.start is None:
            self.start = frame.time_seconds
        self.pictures.add(frame.time_seconds, frame.picture)

    def finish(self) -> SegmentFeatures:
        audio = self.audio.finish() if self.audio is not None else None
        start = self.audio.start if self.audio is not None and self.audio.start is not None else (self.start or 0.0)
        a_slots = 0 if audio is None else len(audio)
        video = self.pictures.slots(start, HOP_SECONDS, a_slots)
        count = max(a_slots, 0 if video is None else len(video))
        present = np.zeros((count, 2), np.float32)
        audio_out = np.zeros((count, self.audio_dim), np.float32)
        video_out = np.zeros((count, self.video_dim), np.float32)
        if audio is not None and count:
            audio_out[:] = _fit(audio, count)
            present[:, 0] = 1
        if video is not None and count:
            video_out[:] = _fit(video, count)
            present[:, 1] = 1
        return SegmentFeatures(start, HOP_SECONDS, audio_out, video_out, present)


def _fit(rows: np.ndarray, n: int) -> np.ndarray:
    """Cut or extend (repeating the last row) to n rows."""
    if len(rows) >= n:
        return rows[:n]
    return np.concatenate((rows, np.repeat(rows[-1:], n - len(rows), axis=0)))
