"""Speech: Silero VAD probabilities every 32 ms (ONNX Runtime, model bundled in the silero-vad wheel)."""

from __future__ import annotations

import numpy as np

from avevents.core.results import GridTrack, LabelOptions
from avevents.models import silero_vad

from ..media.decode import AudioBlock
from ..postprocess import ScoreTrack
from .base import Detector, DetectorSpec

STEP = silero_vad.WINDOW / silero_vad.SAMPLE_RATE


class SpeechDetector(Detector):
    spec = DetectorSpec(
        name="speech",
        labels=("Speech",),
        modality="audio",
        model=f"silero-vad {silero_vad.version()}",
        sample_rate=silero_vad.SAMPLE_RATE,
        # Silero's own defaults (0.5 / 0.35, 250 ms minimum), with pauses under half a second kept
        # inside one passage: an editor wants sentences, not words.
        defaults=(("Speech", LabelOptions(0.5, 0.35, 0.25, 0.5)),),
        description="speech activity (Silero VAD)",
    )
    model_name = "silero-vad"

    @classmethod
    def create(cls, models, media) -> SpeechDetector:
        return cls(models.get(cls.model_name))

    def __init__(self, vad: silero_vad.SileroVad):
        self.stream = vad.stream()
        self.start: float | None = None
        self.parts: list[np.ndarray] = []

    def feed_audio(self, block: AudioBlock) -> None:
        if self.start is None:
            self.start = block.start_seconds
        self.parts.append(self.stream.push(block.samples))

    def finish(self) -> list[ScoreTrack]:
        self.parts.append(self.stream.flush())
        scores = np.concatenate(self.parts) if self.parts else np.zeros(0, np.float32)
        return [ScoreTrack("Speech", self.start or 0.0, STEP, STEP, scores)]

    def grid(self) -> GridTrack:
        return GridTrack(self.spec.name, "audio", STEP, STEP, silero_vad.SAMPLE_RATE)
