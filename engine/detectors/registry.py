"""Packs: which labels a request may ask for, which detectors produce them, and the default pack.

``builtin`` needs no download. ``audioset`` adds the 527 AudioSet labels from the EfficientAT tagger
(installed with ``avevents models pull efficientat-mn04-as``), keeping the built-in detectors for
Speech, Silence, Transient and Scene cut, whose boundaries are sharper. Each trained fusion pack in the
store (a local pack) is a pack of its own name: its labels, then the built-in ones. The default pack is
``audioset`` when its weights are installed and ``builtin`` otherwise; results say which ran.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from avevents.core.errors import ModelUnavailable, UnknownLabel, UnknownPack

from .base import Detector
from .cuts import CutDetector
from .silence import SilenceDetector
from .speech import SpeechDetector
from .transients import TransientDetector

BUILTIN_PACK = "builtin"
AUDIOSET_PACK = "audioset"
TAGGER_MODEL = "efficientat-mn04-as"
BUILTIN_DETECTORS: tuple[type[Detector], ...] = (SpeechDetector, SilenceDetector, TransientDetector, CutDetector)


@dataclass
class PlanItem:
    """One detector to run and the labels it must report."""

    detector: type[Detector]
    labels: list[str]
    model_name: str = ""  # resident model it needs, for detectors created per label set


def _builtin_labels() -> list[str]:
    return [label for det in BUILTIN_DETECTORS for label in det.spec.labels]


def _resolve_builtin(label: str) -> str | None:
    return {x.casefold(): x for x in _builtin_labels()}.get(label.strip().casefold())


def _unknown(label: str, pack: str, known: list[str]) -> UnknownLabel:
    close = difflib.get_close_matches(label, known, n=3, cutoff=0.5) or [
        {k.casefold(): k for k in known}[c]
        for c in difflib.get_close_matches(label.casefold(), [k.casefold() for k in known], n=3, cutoff=0.5)
    ]
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return UnknownLabel(f"unknown label {label!r} for pack {pack!r}{hint} (labels: {', '.join(known)})")


@lru_cache(maxsize=4)
def _audioset_labels(csv_path: Path, mtime: float):
    from avevents.models.audioset_labels import LabelSet, read_labels

    return LabelSet(read_labels(csv_path))


def _tagger_labels():
    from avevents.models.store import ModelStore

    pack = ModelStore().installed(TAGGER_MODEL)
    if pack is None:
        raise ModelUnavailable(
            f"the {AUDIOSET_PACK!r} pack needs the AudioSet tagger: run `avevents models pull {TAGGER_MODEL}`"
        )
    path = pack.file("class_labels_indices.csv")
    return _audioset_labels(path, path.stat().st_mtime)


def tagger_installed() -> bool:
    from avevents.models.store import ModelStore

    return ModelStore().installed(TAGGER_MODEL) is not None


def vision_model() -> str | None:
    """The installed frame encoder (MobileNetV2 before ResNet18), or None. With one, AudioSet labels get
    video evidence and modality attention."""
    from avevents.models.catalog import VISION_PACKS
    from avevents.models.store import ModelStore

    store = ModelStore()
    return next((name for name in VISION_PACKS if store.installed(name) is not None), None)


def vision_installed() -> bool:
    return vision_model() is not None


def fusion_packs() -> dict[str, list[str]]:
    """Installed trained fusion packs and their labels: each is a pack a request can name."""
    from avevents.models.catalog import is_fusion_pack
    from avevents.models.store import ModelStore

    store = ModelStore()
    packs = (store.installed(name) for name in store.local_names())
    return {p.spec.name: list(p.manifest.get("labels", [])) for p in packs if is_fusion_pack(p)}


def default_pack() -> str:
    return AUDIOSET_PACK if tagger_installed() else BUILTIN_PACK


def pack_names() -> list[str]:
    return [BUILTIN_PACK, AUDIOSET_PACK, *fusion_packs()]


def _check_pack(pack: str) -> str:
    name = pack or default_pack()
    if name not in pack_names():
        close = difflib.get_close_matches(name, pack_names(), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownPack(f"unknown pack {name!r}{hint} (available: {', '.join(pack_names())})")
    return name


def _with_builtins(learned: list[str]) -> list[str]:
    """A trained pack's labels, then the built-in ones it does not itself provide."""
    own = {x.casefold() for x in learned}
    return learned + [x for x in _builtin_labels() if x.casefold() not in own]


def default_labels(pack: str) -> list[str]:
    name = _check_pack(pack)
    if name == BUILTIN_PACK:
        return _builtin_labels()
    if name not in (BUILTIN_PACK, AUDIOSET_PACK):
        return _with_builtins(fusion_packs()[name])
    from avevents.models.audioset_labels import EDITOR_DEFAULTS

    tagger = _tagger_labels()
    return _builtin_labels() + [label for label in EDITOR_DEFAULTS if label in tagger.index]


def all_labels(pack: str) -> list[str]:
    name = _check_pack(pack)
    if name == BUILTIN_PACK:
        return _builtin_labels()
    if name != AUDIOSET_PACK:
        return default_labels(name)
    builtin = {x.casefold() for x in _builtin_labels()}
    return _builtin_labels() + [x for x in _tagger_labels().names if x.casefold() not in builtin]


def resolve_labels(pack: str, requested: tuple[str, ...] | list[str]) -> list[str]:
    """Canonical names of the requested labels (the pack's defaults when none are asked for)."""
    name = _check_pack(pack)
    if not requested:
        return default_labels(name)
    resolved: list[str] = []
    if name not in (BUILTIN_PACK, AUDIOSET_PACK):
        known = default_labels(name)
        by_fold = {x.casefold(): x for x in known}
        for label in requested:
            canonical = by_fold.get(label.strip().casefold())
            if canonical is None:
                raise _unknown(label, name, known)
            if canonical not in resolved:
                resolved.append(canonical)
        return resolved
    for label in requested:
        canonical = _resolve_builtin(label)
        if canonical is None:
            if name == BUILTIN_PACK:
                raise _unknown(label, name, _builtin_labels())
            canonical = _tagger_labels().require(label, name)
        if canonical not in resolved:
            resolved.append(canonical)
    return resolved


def plan(pack: str, labels: list[str]) -> list[PlanItem]:
    """Detectors to run for ``labels`` (already resolved) and the labels each reports."""
    wanted = set(labels)
    learned: list[PlanItem] = []
    name = _check_pack(pack)
    if name not in (BUILTIN_PACK, AUDIOSET_PACK):
        from .fusion import FusionDetector

        own = [x for x in labels if x in fusion_packs()[name]]
        learned = [PlanItem(FusionDetector, own, name)] if own else []
        wanted -= set(own)
    items = [PlanItem(det, [x for x in det.spec.labels if x in wanted]) for det in BUILTIN_DETECTORS]
    items = learned + [item for item in items if item.labels]
    covered = {x for item in items for x in item.labels}
    rest = [x for x in labels if x not in covered]
    if rest:
        if vision_installed():
            from .audiovisual import AudioVisualDetector as TaggerDetector
        else:
            from .audioset import AudioSetDetector as TaggerDetector
        items.append(PlanItem(TaggerDetector, rest, TAGGER_MODEL))
    return items


def all_detector_labels(detector: type[Detector], model_name: str, pack: str) -> list[str]:
    """Every label a model-backed detector can score: a fusion pack's labels, or the tagger's 527."""
    if detector.spec.name == "fusion":
        return list(fusion_packs().get(model_name, []))
    if detector.spec.name in ("audioset", "audiovisual"):
        return list(_tagger_labels().names)
    return []
