"""The one interface every detector implements.

A detector is fed the decoder's output in file order (audio blocks at its sample rate, or video frames)
and, at the end, returns score tracks or instantaneous candidates for its labels. The pipeline owns
decoding, post-processing and event construction, so a detector is only the signal analysis.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from avevents.core.results import GridTrack, LabelOptions, MediaInfo

from ..media.decode import AudioBlock, VideoFrame
from ..postprocess import PointCandidates, ScoreTrack

if TYPE_CHECKING:
    from ..residency import ResidentModels


@dataclass(frozen=True)
class DetectorSpec:
    name: str
    labels: tuple[str, ...]
    modality: str  # "audio" | "video"
    model: str  # what produced the scores, with its version
    sample_rate: int = 0  # audio detectors: the rate they are fed at
    luma_thumbnails: bool = False  # video detectors: wants a thumbnail of every frame
    pictures: bool = False  # video detectors: wants RGB pictures at the analysis rate
    defaults: tuple[tuple[str, LabelOptions], ...] = ()
    description: str = ""

    def default_options(self, label: str) -> LabelOptions:
        return dict(self.defaults).get(label, LabelOptions())


class Detector(ABC):
    """Streaming analysis of one modality; one instance per request."""

    spec: ClassVar[DetectorSpec]

    @classmethod
    def create(cls, models: ResidentModels, media: MediaInfo) -> Detector:
        """A fresh instance for one request (models come from the resident set)."""
        return cls()

    @property
    def model(self) -> str:
        """The model and version that produce this detector's scores."""
        return self.spec.model

    def model_refs(self) -> list[tuple[str, str]]:
        """(name, version) of every model behind the scores."""
        name, _, version = self.model.rpartition(" ")
        return [(name, version)]

    def default_options(self, label: str) -> LabelOptions:
        return self.spec.default_options(label)

    def feed_audio(self, block: AudioBlock) -> None:  # noqa: B027 - optional hook
        """Consume the next block of audio (only for audio detectors)."""

    def feed_video(self, frame: VideoFrame) -> None:  # noqa: B027 - optional hook
        """Consume the next video frame (only for video detectors)."""

    @abstractmethod
    def finish(self) -> list[ScoreTrack | PointCandidates]:
        """Scores for the detector's labels over everything fed."""

    @abstractmethod
    def grid(self) -> GridTrack:
        """The time grid the scores were computed on."""
