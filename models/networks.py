"""The kinds of network a pack can hold, as data: which packs are of each kind, how it loads on a backend,
its ONNX export and the inputs, outputs and dynamic-axis ranges a TensorRT engine is built for.

``kind_of(pack)`` answers what used to be if-chains on pack names (the engine build, residency's
catalog); each network's own module keeps its inputs, outputs and ranges together, and is imported only
when a pack of its kind is used (torch and ONNX stay unimported until then).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from avevents.core.errors import RunnerError
from avevents.core.settings import RunnerSettings

from .catalog import TAGGER_PACKS, VISION_PACKS, WAV2VEC2_PACKS, is_fusion_pack

if TYPE_CHECKING:
    from .runners.base import InputSpec
    from .store import InstalledPack

# (inputs, output names, {input: {axis: (min, opt, max)}}): what an engine is built for.
NetworkIO = tuple[tuple["InputSpec", ...], tuple[str, ...], dict]


@dataclass(frozen=True)
class NetworkKind:
    """One kind of network. ``catalog_packs``: the catalog's packs of this kind (trained fusion packs are
    found in the store instead); ``io`` and ``export`` are None where the network has no ONNX form (the
    Wav2Vec2 encoder runs through transformers)."""

    name: str
    task_labels: str  # what a model list says the kind gives
    catalog_packs: tuple[str, ...]
    load: Callable[[InstalledPack, str, RunnerSettings], object]  # (pack, device, runner settings) -> model
    io: Callable[[InstalledPack], NetworkIO] | None = None
    export: Callable[[InstalledPack], Path] | None = None

    def covers(self, pack: InstalledPack) -> bool:
        return pack.spec.name in self.catalog_packs or (self.name == "fusion" and is_fusion_pack(pack))


def _load_tagger(pack: InstalledPack, device: str, runner: RunnerSettings) -> object:
    from .audioset import AudioSetTagger

    return AudioSetTagger(pack, device=device, settings=runner)


def _tagger_io(pack: InstalledPack) -> NetworkIO:
    from .audioset import MEL_INPUT, OUTPUTS, TAGGER_RANGES

    return (MEL_INPUT,), OUTPUTS, TAGGER_RANGES


def _export_tagger(pack: InstalledPack) -> Path:
    from .audioset import export_tagger_onnx

    return export_tagger_onnx(pack)


def _load_vision(pack: InstalledPack, device: str, runner: RunnerSettings) -> object:
    from .vision import VisionEncoder

    return VisionEncoder(pack, device=device, settings=runner)


def _vision_io(pack: InstalledPack) -> NetworkIO:
    from .vision import IMAGE_INPUT, OUTPUTS, VISION_RANGES

    return (IMAGE_INPUT,), OUTPUTS, VISION_RANGES


def _export_vision(pack: InstalledPack) -> Path:
    from .export import verified_export
    from .vision import export_vision_onnx

    return verified_export(lambda: export_vision_onnx(pack))


def _load_wav2vec2(pack: InstalledPack, device: str, runner: RunnerSettings) -> object:
    from .wav2vec2 import Wav2Vec2Encoder

    return Wav2Vec2Encoder(pack, device=device)


def _load_fusion(pack: InstalledPack, device: str, runner: RunnerSettings) -> object:
    from .fusion_pack import FusionModel

    return FusionModel(pack, device=device, settings=runner)


def _fusion_io(pack: InstalledPack) -> NetworkIO:
    from .fusion import OUTPUTS, FusionConfig
    from .fusion_pack import CONFIG_FILE, fusion_io

    inputs, ranges = fusion_io(FusionConfig.from_json(pack.file(CONFIG_FILE).read_text()))
    return inputs, OUTPUTS, ranges


def _export_fusion(pack: InstalledPack) -> Path:
    from .export import verified_export
    from .fusion_pack import export_fusion_onnx

    return verified_export(lambda: export_fusion_onnx(pack))


TAGGER = NetworkKind("tagger", "527 AudioSet labels", tuple(TAGGER_PACKS), _load_tagger, _tagger_io, _export_tagger)
AUDIO_ENCODER = NetworkKind("audio-encoder", "audio embeddings for trained packs", WAV2VEC2_PACKS, _load_wav2vec2)
FRAME_ENCODER = NetworkKind(
    "frame-encoder", "video evidence for AudioSet labels", VISION_PACKS, _load_vision, _vision_io, _export_vision
)
FUSION = NetworkKind("fusion", "a trained pack's labels", (), _load_fusion, _fusion_io, _export_fusion)
KINDS = (TAGGER, AUDIO_ENCODER, FRAME_ENCODER, FUSION)


def kind_of(pack: InstalledPack) -> NetworkKind:
    """The kind of network ``pack`` holds.

    :raises RunnerError: it holds none."""
    for kind in KINDS:
        if kind.covers(pack):
            return kind
    raise RunnerError(f"{pack.spec.name} has no network")
