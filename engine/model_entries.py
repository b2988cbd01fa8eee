"""What a set of resident models is made of: an entry for every model the daemon can hold (the catalog's
networks, kind by kind, the built-in detectors with nothing to load, and the fusion packs trained here),
its state, and how an entry's loader is called. ``ResidentModels`` (residency.py) keeps the states."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from avevents.core.settings import RunnerSettings
from avevents.models import silero_vad
from avevents.models.networks import FUSION, NetworkKind
from avevents.models.store import ModelStore

from .detectors.builtin import AUDIOSET_PACK, BUILTIN_DETECTORS, BUILTIN_PACK


@dataclass(frozen=True)
class ModelEntry:
    """A model the daemon can hold in memory."""

    name: str
    version: str
    pack: str
    task: str
    labels: tuple[str, ...]
    source: str
    licence: str
    loader: Callable[[str, LoadContext], object]  # (device, context) -> the loaded model
    devices: tuple[str, ...] = ("cpu",)
    resident: bool = True  # False: signal processing with nothing to load
    local: bool = False  # a trained pack found in the store, not from the catalog


@dataclass
class ModelState:
    entry: ModelEntry
    loaded: bool = False
    device: str = ""
    memory_bytes: int = 0
    loaded_at: float = 0.0
    detail: str = ""
    available: bool = True
    loading: bool = False  # its loader is running now
    size_bytes: int = 0  # its installed files (0 for what ships inside a wheel), as of the last store look
    obj: object = field(default=None, repr=False)


def catalog_entries() -> list[ModelEntry]:
    entries = [
        ModelEntry(
            name="silero-vad",
            version=silero_vad.version(),
            pack=BUILTIN_PACK,
            task="speech activity",
            labels=("Speech",),
            source="bundled in the silero-vad wheel (ONNX)",
            licence="MIT",
            loader=lambda device, context: silero_vad.SileroVad(),
        )
    ]
    from avevents.models.catalog import PACKS
    from avevents.models.networks import AUDIO_ENCODER, FRAME_ENCODER, TAGGER

    # The catalog's networks, kind by kind (models/networks.py): all belong to the audioset pack.
    for kind in (TAGGER, AUDIO_ENCODER, FRAME_ENCODER):
        for name in kind.catalog_packs:
            spec = PACKS[name]
            entries.append(
                ModelEntry(
                    name=name,
                    version=spec.version,
                    pack=AUDIOSET_PACK,
                    task=spec.task,
                    labels=(kind.task_labels,),
                    source=spec.source,
                    licence=spec.licence,
                    loader=partial(_load_network, kind, name),
                    devices=("cpu", "cuda"),
                )
            )
    for det in BUILTIN_DETECTORS:
        if getattr(det, "model_name", None):
            continue
        name, version = det.spec.model.rsplit(" ", 1)
        entries.append(
            ModelEntry(
                name=name,
                version=version,
                pack=BUILTIN_PACK,
                task=det.spec.description,
                labels=det.spec.labels,
                source="built in (signal processing, no weights)",
                licence="MIT",
                loader=lambda device, context: None,
                resident=False,
            )
        )
    return entries


@dataclass(frozen=True)
class LoadContext:
    """What a loader is given: the one store of this set of models and how its runners are made."""

    store: ModelStore
    runner: RunnerSettings


def _load_network(kind: NetworkKind, name: str, device: str, context: LoadContext) -> object:
    return kind.load(context.store.require(name), device, context.runner)


def fusion_entry(pack) -> ModelEntry:
    """A trained fusion pack (local, found in the store): its own pack of labels."""
    spec = pack.spec
    return ModelEntry(
        name=spec.name,
        version=spec.version,
        pack=spec.name,
        task=spec.task,
        labels=(spec.description,),
        source=f"trained on this machine, installed {pack.manifest.get('installed_at', '?')}",
        licence=spec.licence,
        loader=partial(_load_network, FUSION, spec.name),
        devices=("cpu", "cuda"),
        local=True,
    )


def pack_bytes(pack) -> int:
    """Bytes of an installed pack's files, as its manifest lists them (0: none installed)."""
    return sum(int(f.get("size") or 0) for f in pack.manifest.get("files", [])) if pack else 0


def device_allowed(device: str, kinds: tuple[str, ...]) -> bool:
    """``cpu``, or ``cuda:N`` where the entry runs on CUDA and torch sees that GPU."""
    if device == "cpu":
        return "cpu" in kinds
    if not device.startswith("cuda") or "cuda" not in kinds:
        return False
    import torch

    index = int(device.partition(":")[2] or 0)
    return torch.cuda.is_available() and index < torch.cuda.device_count()
