"""Labels from a trained fusion pack: the learned modality-attention network over per-segment
embeddings of the tagger and frame encoder it was trained with. Each event carries the fused
confidence, the audio-only and video-only confidences and the attention weights; a file without
audio (or video) runs with that modality masked (weights 0/1) and reports no confidence for it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from avevents.core.results import GridTrack, LabelOptions, MediaInfo
from avevents.models.fusion_pack import FusionModel
from avevents.models.mel import SAMPLE_RATE

from ..media.decode import AudioBlock, VideoFrame
from ..postprocess import ScoreTrack
from .audioset import HOP_SECONDS
from .base import Detector, DetectorSpec
from .features import FeatureCollector

# A trained pack's outputs are its own, not the tagger's (whose operating points are per label): the one
# operating point the packs were measured at (bench/RESULTS.md, "Learned models").
DEFAULTS = LabelOptions(threshold=0.3, release_threshold=0.15, min_event_seconds=1.0, merge_gap_seconds=1.0)


class FusionDetector(Detector):
    spec = DetectorSpec(
        name="fusion",
        labels=(),  # the pack's labels
        modality="av",
        model="fusion",
        sample_rate=SAMPLE_RATE,
        pictures=True,
        description="trained audio-visual fusion (learned modality attention)",
    )

    @classmethod
    def create_for(cls, models, media: MediaInfo, labels: list[str], model_names: tuple[str, ...]) -> FusionDetector:
        """The trained pack ``model_names[0]`` with the encoders its config names."""
        fusion: FusionModel = models.get(model_names[0])
        audio = models.get(fusion.config.audio_encoder) if media.has_audio else None
        vision = models.get(fusion.config.video_encoder) if media.has_video else None
        return cls(fusion, FeatureCollector(audio, vision, fusion.config.audio_dim, fusion.config.video_dim), labels)

    def __init__(self, fusion: FusionModel, features: FeatureCollector, labels: list[str]):
        self.fusion = fusion
        self.features = features
        self.spec = replace(self.spec, sample_rate=features.spec.sample_rate)  # the audio encoder's rate
        self.labels = labels
        self.columns = [fusion.labels.index(label) for label in labels]
        self.step = max(1, round(fusion.config.segment_seconds / HOP_SECONDS)) * HOP_SECONDS
        self.refs = [(fusion.name, fusion.version)]
        if features.audio_encoder is not None:
            self.refs.append((features.audio_encoder.name, features.audio_encoder.version))
        if features.vision is not None:
            self.refs.append((features.vision.name, features.vision.version))

    @property
    def model(self) -> str:
        return " + ".join(f"{name} {version}" for name, version in self.refs)

    def model_refs(self) -> list[tuple[str, str]]:
        return list(self.refs)

    def default_options(self, label: str) -> LabelOptions:
        return DEFAULTS

    def feed_audio(self, block: AudioBlock) -> None:
        self.features.feed_audio(block)

    def feed_video(self, frame: VideoFrame) -> None:
        self.features.feed_video(frame)

    def finish(self) -> list[ScoreTrack]:
        seg = self.features.finish().regrouped(self.step)
        if not len(seg.present):
            empty = np.zeros(0, np.float32)
            return [ScoreTrack(label, seg.start, seg.hop, seg.hop, empty) for label in self.labels]
        out = self.fusion.predict(seg.audio, seg.video, seg.present)
        no_audio, no_video = seg.present[:, 0] == 0, seg.present[:, 1] == 0
        tracks = []
        for label, c in zip(self.labels, self.columns):
            extras = {
                "audio": np.where(no_audio, np.nan, out["audio"][:, c]),
                "video": np.where(no_video, np.nan, out["video"][:, c]),
                "audio_weight": out["weights"][:, 0],
                "video_weight": out["weights"][:, 1],
            }
            scores = out["fused"][:, c].astype(np.float32)
            tracks.append(ScoreTrack(label, seg.start, seg.hop, seg.hop, scores, extras=extras))
        return tracks

    def grid(self) -> GridTrack:
        return GridTrack(self.spec.name, "av", self.step, self.step, self.spec.sample_rate)
