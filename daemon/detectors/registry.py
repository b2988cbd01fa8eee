"""Packs: which labels a request may ask for, which detectors produce them, and the default pack.

``builtin`` needs no download. ``audioset`` adds the 527 AudioSet labels from the EfficientAT tagger
(installed with ``avevents models pull efficientat-mn04-as``), keeping the built-in detectors for
Speech, Silence, Transient and Scene cut, whose boundaries are sharper. The default pack is
``audioset`` when its weights are installed and ``builtin`` otherwise; results say which ran.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ModelUnavailable, UnknownLabel, UnknownPack
from .base import Detector
from .cuts import CutDetector
from .silence import SilenceDetector
from .speech import SpeechDetector
from .transients import TransientDetector

BUILTIN_PACK = "builtin"
AUDIOSET_PACK = "audioset"
TAGGER_MODEL = "efficientat-mn04-as"
VISION_MODEL = "mobilenet-v2-imagenet"
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


def vision_installed() -> bool:
    """With the frame encoder installed, AudioSet labels get video evidence and modality attention."""
    from avevents.models.store import ModelStore

    return ModelStore().installed(VISION_MODEL) is not None


def default_pack() -> str:
    return AUDIOSET_PACK if tagger_installed() else BUILTIN_PACK


def pack_names() -> list[str]:
    return [BUILTIN_PACK, AUDIOSET_PACK]


def _check_pack(pack: str) -> str:
    name = pack or default_pack()
    if name not in pack_names():
        close = difflib.get_close_matches(name, pack_names(), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownPack(f"unknown pack {name!r}{hint} (available: {', '.join(pack_names())})")
    return name


def default_labels(pack: str) -> list[str]:
    name = _check_pack(pack)
    if name == BUILTIN_PACK:
        return _builtin_labels()
    from avevents.models.audioset_labels import EDITOR_DEFAULTS

    tagger = _tagger_labels()
    return _builtin_labels() + [label for label in EDITOR_DEFAULTS if label in tagger.index]


def all_labels(pack: str) -> list[str]:
    name = _check_pack(pack)
    if name == BUILTIN_PACK:
        return _builtin_labels()
    builtin = {x.casefold() for x in _builtin_labels()}
    return _builtin_labels() + [x for x in _tagger_labels().names if x.casefold() not in builtin]


def resolve_labels(pack: str, requested: tuple[str, ...] | list[str]) -> list[str]:
    """Canonical names of the requested labels (the pack's defaults when none are asked for)."""
    name = _check_pack(pack)
    if not requested:
        return default_labels(name)
    resolved: list[str] = []
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
    items = [PlanItem(det, [x for x in det.spec.labels if x in wanted]) for det in BUILTIN_DETECTORS]
    items = [item for item in items if item.labels]
    covered = {x for item in items for x in item.labels}
    rest = [x for x in labels if x not in covered]
    if rest:
        if vision_installed():
            from .audiovisual import AudioVisualDetector as TaggerDetector
        else:
            from .audioset import AudioSetDetector as TaggerDetector
        items.append(PlanItem(TaggerDetector, rest, TAGGER_MODEL))
    return items
