"""Options and results of one detection, as plain dataclasses (the in-process form of the contract)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from fractions import Fraction

from .errors import InvalidRequest


def _require_finite(what: str, value: float | None) -> None:
    """InvalidRequest naming ``what`` (str) when ``value`` is set but NaN or infinite."""
    if value is not None and not math.isfinite(value):
        raise InvalidRequest(f"{what} must be a finite number, got {value}")


@dataclass(frozen=True)
class LabelOptions:
    """Post-processing of one label's score track; ``None`` keeps the detector's default."""

    threshold: float | None = None
    release_threshold: float | None = None
    min_event_seconds: float | None = None
    merge_gap_seconds: float | None = None

    def over(self, base: LabelOptions) -> LabelOptions:
        """These options with unset fields taken from ``base``."""
        return LabelOptions(
            *(mine if mine is not None else theirs for mine, theirs in zip(self._values(), base._values()))
        )

    def scaled(self, sensitivity: float) -> LabelOptions:
        """Thresholds moved for a sensitivity in 0..1: 0.5 keeps them, 1 halves them (more events), 0
        doubles them (fewer), capped below 1."""
        factor = 2.0 ** ((0.5 - sensitivity) * 2.0)
        threshold = None if self.threshold is None else min(0.99, self.threshold * factor)
        release = None if self.release_threshold is None else min(0.99, self.release_threshold * factor)
        if threshold is not None and release is not None:
            release = min(release, threshold)
        return replace(self, threshold=threshold, release_threshold=release)

    def _values(self) -> tuple:
        return (self.threshold, self.release_threshold, self.min_event_seconds, self.merge_gap_seconds)

    def validate(self, where: str) -> None:
        """Raise InvalidRequest for a value no detector can use; ``where`` (str) starts the message."""
        for name in ("threshold", "release_threshold", "min_event_seconds", "merge_gap_seconds"):
            _require_finite(f"{where}: {name}", getattr(self, name))
        for name in ("threshold", "release_threshold"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise InvalidRequest(f"{where}: {name} must be between 0 and 1, got {value}")
        for name in ("min_event_seconds", "merge_gap_seconds"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise InvalidRequest(f"{where}: {name} must not be negative, got {value}")
        if (
            self.threshold is not None
            and self.release_threshold is not None
            and self.release_threshold > self.threshold
        ):
            raise InvalidRequest(
                f"{where}: release_threshold ({self.release_threshold}) is above threshold ({self.threshold})"
            )


@dataclass(frozen=True)
class DetectOptions:
    """What to analyse and how; every field has a sensible default."""

    labels: tuple[str, ...] = ()
    pack: str = ""
    source_range: tuple[float, float] | None = None
    defaults: LabelOptions = LabelOptions()
    per_label: dict[str, LabelOptions] = field(default_factory=dict)
    video_analysis_fps: float | None = None
    audio_stream: int | None = None
    sensitivity: float | None = None  # 0..1; moves the detectors' default thresholds, not explicit ones
    use_cache: bool = True  # False: analyse again even when the result cache has this file
    keyframes_only: bool = False  # pictures from key frames only (fast; ignored when cuts need every frame)
    top: int = 0  # > 0: also rank the labels most present in the range (every label the pack's tagger has)

    def for_label(self, label: str, detector_default: LabelOptions) -> LabelOptions:
        """Effective options of one label: per-label over request defaults over the detector's
        (moved by ``sensitivity``)."""
        if self.sensitivity is not None:
            detector_default = detector_default.scaled(self.sensitivity)
        chosen = self.per_label.get(label, LabelOptions()).over(self.defaults).over(detector_default)
        if (
            chosen.threshold is not None
            and chosen.release_threshold is not None
            and chosen.release_threshold > chosen.threshold
        ):
            # A raised threshold drags the detector's own release level along rather than inverting it.
            chosen = replace(chosen, release_threshold=chosen.threshold)
        return chosen

    def validate(self) -> None:
        """Raise InvalidRequest for options no analysis can honour (the one check of option values: the
        CLI and the daemon both call it). NaN and infinities are refused everywhere: every comparison
        with NaN is false, so it would slip through the range checks below."""
        self.defaults.validate("options")
        for label, opts in self.per_label.items():
            opts.validate(f"options for {label!r}")
        _require_finite("video_analysis_fps", self.video_analysis_fps)
        _require_finite("sensitivity", self.sensitivity)
        if self.source_range is not None:
            start, end = self.source_range
            if not (math.isfinite(start) and math.isfinite(end)):
                raise InvalidRequest(f"source range must be finite seconds, got {start}-{end}")
            if start < 0 or end <= start:
                raise InvalidRequest(f"source range {start:.3f}-{end:.3f} s is empty or negative")
        if self.video_analysis_fps is not None and not 0.1 <= self.video_analysis_fps <= 120:
            raise InvalidRequest(f"video_analysis_fps must be within 0.1-120, got {self.video_analysis_fps}")
        if self.sensitivity is not None and not 0.0 <= self.sensitivity <= 1.0:
            raise InvalidRequest(f"sensitivity must be within 0-1, got {self.sensitivity}")
        if self.audio_stream is not None and self.audio_stream < 0:
            raise InvalidRequest(f"audio_stream must not be negative, got {self.audio_stream}")
        if not 0 <= self.top <= 1000:
            raise InvalidRequest(f"top must be within 0-1000, got {self.top}")


@dataclass
class MediaInfo:
    """Facts about a media file, probed before analysis."""

    path: str
    size_bytes: int = 0
    container: str = ""
    duration_seconds: float = 0.0
    origin_seconds: float = 0.0
    has_video: bool = False
    has_audio: bool = False
    frame_rate: Fraction | None = None
    average_frame_rate: Fraction | None = None
    variable_frame_rate: bool = False
    width: int = 0
    height: int = 0
    rotation_degrees: int = 0
    video_codec: str = ""
    sample_rate: int = 0
    audio_channels: int = 0
    audio_codec: str = ""
    audio_stream_count: int = 0
    audio_stream: int = 0
    warnings: list[str] = field(default_factory=list)  # what the probe noticed, shown with the result


@dataclass(frozen=True)
class GridTrack:
    """How one detector sampled time: its events' boundaries fall on this grid."""

    detector: str
    modality: str
    step_seconds: float
    window_seconds: float
    sample_rate: int = 0


@dataclass
class Event:
    label: str
    start_seconds: float
    end_seconds: float
    confidence: float
    detector: str
    model: str
    audio_confidence: float | None = None
    video_confidence: float | None = None
    id: str = ""
    audio_weight: float | None = None  # modality attention, when audio and video were fused
    video_weight: float | None = None
    # Which modality carried the event: "audio", "video" (the soundtrack missing or silent there) or
    # "audio+video" (the picture raised what the audio heard); "" when unknown (older results).
    carried_by: str = ""

    @property
    def duration_seconds(self) -> float:
        return self.end_seconds - self.start_seconds

    def to_dict(self) -> dict:
        """The JSON form of an event (CLI output, the editor bridges)."""
        return {
            "id": self.id,
            "label": self.label,
            "start_seconds": self.start_seconds,
            "end_seconds": self.end_seconds,
            "confidence": self.confidence,
            "audio_confidence": self.audio_confidence,
            "video_confidence": self.video_confidence,
            "detector": self.detector,
            "model": self.model,
            "audio_weight": self.audio_weight,
            "video_weight": self.video_weight,
            "carried_by": self.carried_by,
        }

    def assign_id(self, media_key: str) -> None:
        """Stable id: the same media, label, range and model always give the same id."""
        text = f"{media_key}|{self.label}|{self.start_seconds:.3f}|{self.end_seconds:.3f}|{self.model}"
        self.id = hashlib.sha1(text.encode()).hexdigest()[:16]


@dataclass
class SalientLabel:
    """A label present in the analysed range: its highest score, where it is, and that score over the
    label's threshold (salience: 1 or more means it reaches its operating point and makes events)."""

    label: str
    peak: float
    peak_seconds: float  # start of the slot where the score peaks
    threshold: float
    salience: float
    detector: str = ""


@dataclass
class DetectResult:
    media: MediaInfo
    analysed_range: tuple[float, float]
    grid: list[GridTrack]
    events: list[Event]
    labels: list[str]
    pack: str
    models: list[tuple[str, str]]
    video_analysis_fps: float = 0.0
    warnings: list[str] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    salient: list[SalientLabel] = field(default_factory=list)  # with ``DetectOptions.top``: most salient first


@dataclass
class ProgressUpdate:
    """One step of a running detection, as the pipeline reports it and the daemon streams it."""

    stage: str
    fraction: float
    media_seconds_done: float = 0.0
    media_seconds_total: float = 0.0
    message: str = ""
