"""AudioSet labels with audio and video confidences: the tagger's slot scores fused with ImageNet
evidence from sampled frames, zero-shot (no audio-visual training data).

Per label and half-second slot: audio evidence a (tagger score), video evidence v (the frames' summed
probability of the ImageNet classes that show the label, see ``avevents.models.label_map``). Modality
attention [w_a, w_v] = softmax([logit a, logit v]): the more decisive modality leads, so a muted track
hands over to the picture and a blurred picture to the sound. Fused score = w_a a + w_v v. A label with
no visual counterpart, or a file without video, uses the audio alone (weights 1/0) and reports no video
confidence; a file without audio uses the picture alone (0/1) for the labels that have one.

Every AudioSet label is a sound, so the picture never creates one on its own while the soundtrack is
audible: in an audible slot the fused score is at most the larger of the audio score and the geometric
mean of both, and at most twice the audio score (the picture confirms what the audio hears faintly;
``sqrt(a v)`` is 0 when the audio hears nothing, and the doubling cap keeps a picture of a dog over a
soundtrack scoring Dog 0.02 from reaching Dog's threshold of 0.1). Only where the audio is missing,
muted or digitally silent (a slot quieter than ``AUDIBLE_DBFS``) does the picture carry the label alone.
Measured on the real av_clips: without the rule three "Dog" events came from the picture alone (audio
confidence 0.00) on the horse and chainsaw clips, whose soundtracks hold no dog.
"""

from __future__ import annotations

import numpy as np

from avevents.core.results import GridTrack, LabelOptions, MediaInfo
from avevents.models.audioset_operating_points import operating_point
from avevents.models.vision import VisionEncoder

from ..media.decode import AudioBlock, VideoFrame
from ..postprocess import ScoreTrack
from .audioset import HOP_SECONDS, AudioSetDetector
from .base import Detector, DetectorSpec
from .slots import PictureBatches, batch_for
from .speech_rivals import TAGGER_SPEECH, VOCAL_RIVALS

EPS = 1e-4
# A slot this quiet (RMS, dB re full scale) is silent: a muted track, digital silence. Quiet room tone
# (about -55 dBFS) is audible.
AUDIBLE_DBFS = -70.0


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def fuse(
    audio: np.ndarray, video: np.ndarray, audible: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fused score, audio weight, video weight) per element; NaN marks a missing modality. ``audible``
    (default: everywhere the audio exists) marks the slots whose soundtrack can be heard: elsewhere the
    audio score is treated as missing, and there the picture may not raise a score above
    ``max(a, min(sqrt(a v), 2 a))``."""
    audio = np.asarray(audio, np.float64)
    video = np.asarray(video, np.float64)
    if audible is not None:
        audio = np.where(np.asarray(audible, bool), audio, np.nan)
    has_a, has_v = np.isfinite(audio), np.isfinite(video)
    both = has_a & has_v
    w_a = np.where(has_a, 1.0, 0.0)
    s_a, s_v = logit(np.nan_to_num(audio)), logit(np.nan_to_num(video))
    w_a = np.where(both, 1.0 / (1.0 + np.exp(s_v - s_a)), w_a)
    w_v = 1.0 - w_a
    a, v = np.nan_to_num(audio), np.nan_to_num(video)
    fused = w_a * a + w_v * v
    fused = np.where(both, np.minimum(fused, np.maximum(a, np.minimum(np.sqrt(a * v), 2.0 * a))), fused)
    return fused, w_a, w_v


class AudioVisualDetector(Detector):
    spec = DetectorSpec(
        name="audiovisual",
        labels=(),
        modality="av",
        model="efficientat+mobilenet",
        sample_rate=AudioSetDetector.spec.sample_rate,
        pictures=True,
        description="AudioSet tagger fused with ImageNet frame evidence (zero-shot modality attention)",
    )

    @classmethod
    def create_for(
        cls, models, media: MediaInfo, labels: list[str], model_names: tuple[str, ...]
    ) -> AudioVisualDetector:
        """The tagger and the frame encoder the plan chose (``model_names``), each where its stream exists."""
        tagger, encoder = model_names
        audio = AudioSetDetector(models.get(tagger), labels) if media.has_audio else None
        vision = models.get(encoder) if media.has_video else None
        return cls(audio, vision, labels)

    def __init__(self, audio: AudioSetDetector | None, vision: VisionEncoder | None, labels: list[str]):
        self.audio = audio
        self.vision = vision
        self.labels = labels
        mapping = vision.audioset_map if vision is not None else {}
        self.visual = {label: mapping[label] for label in labels if label in mapping}
        device = vision.device if vision is not None else ""
        self.pictures = PictureBatches(self._evidence, batch_for(device))  # rows: [len(self.visual)] per picture
        self.start: float | None = None
        names = []
        if audio is not None:
            names.append(audio.model)
        if vision is not None:
            names.append(f"{vision.name} {vision.version}")
        self._model = " + ".join(names)

    @property
    def model(self) -> str:
        return self._model

    def model_refs(self) -> list[tuple[str, str]]:
        return [tuple(part.rsplit(" ", 1)) for part in self._model.split(" + ")]

    def default_options(self, label: str) -> LabelOptions:
        return operating_point(label)

    def feed_audio(self, block: AudioBlock) -> None:
        if self.start is None:
            self.start = block.start_seconds
        self.audio.feed_audio(block)

    def feed_video(self, frame: VideoFrame) -> None:
        if frame.picture is None or self.vision is None or not self.visual:
            return
        if self.start is None:
            self.start = frame.time_seconds
        self.pictures.add(frame.time_seconds, frame.picture)

    def _evidence(self, pictures: np.ndarray) -> np.ndarray:
        probs, _ = self.vision.encode(pictures)
        return np.stack([probs[:, idx].sum(axis=1) for idx in self.visual.values()], axis=1)

    def finish(self) -> list[ScoreTrack]:
        audio_tracks = {t.label: t for t in self.audio.finish()} if self.audio is not None else {}
        start = self.audio.start if self.audio is not None and self.audio.start is not None else (self.start or 0.0)
        slots = max([len(t.scores) for t in audio_tracks.values()], default=0)
        video = self._video_slots(start, slots)
        levels = self.audio.slot_levels() if self.audio is not None else None
        if levels is not None and not len(levels):
            levels = None
        tracks = []
        for label in self.labels:
            lengths = [len(audio_tracks[label].scores)] if label in audio_tracks else []
            if label in video:
                lengths.append(len(video[label]))
            n = max(lengths, default=0)
            a = _fit(audio_tracks[label].scores.astype(np.float64), n) if label in audio_tracks else np.full(n, np.nan)
            v = _fit(video[label], n) if label in video else np.full(n, np.nan)
            audible = _fit(levels, n) > AUDIBLE_DBFS if levels is not None else None
            fused, w_a, w_v = fuse(a, v, audible)
            if audible is not None:
                a = np.where(audible, a, np.nan)
            tracks.append(
                ScoreTrack(
                    label,
                    start,
                    HOP_SECONDS,
                    HOP_SECONDS,
                    fused.astype(np.float32),
                    extras={"audio": a, "video": v, "audio_weight": w_a, "video_weight": w_v},
                )
            )
        tracks += [audio_tracks[name] for name in (TAGGER_SPEECH, VOCAL_RIVALS) if name in audio_tracks]
        return tracks

    def _video_slots(self, start: float, slots: int) -> dict[str, np.ndarray]:
        """Mean visual evidence of the frames in each slot, per mapped label."""
        means = self.pictures.slots(start, HOP_SECONDS, slots)
        return {} if means is None else {label: means[:, k] for k, label in enumerate(self.visual)}

    def grid(self) -> GridTrack:
        return GridTrack(self.spec.name, "av", HOP_SECONDS, HOP_SECONDS, self.spec.sample_rate)


def _fit(values: np.ndarray, n: int) -> np.ndarray:
    """Cut or extend (with the last value) to n elements."""
    if len(values) >= n:
        return values[:n]
    tail = values[-1] if len(values) else np.nan
    return np.concatenate((values, np.full(n - len(values), tail)))
