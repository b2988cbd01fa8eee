"""Packs: which labels a request may ask for, which detectors produce them, and the default pack.

``builtin`` needs no download. ``audioset`` adds the 527 AudioSet labels from the EfficientAT tagger
(installed with ``avevents models pull efficientat-mn04-as``), keeping the built-in detectors for
Speech, Silence, Transient and Scene cut, whose boundaries are sharper. Each trained fusion pack in the
store (a local pack) is a pack of its own name: its labels, then the built-in ones. The default pack is
``audioset`` when its weights are installed and ``builtin`` otherwise; results say which ran.

Every answer comes from ``Packs``, one look at the store (``Packs.read(store)``): a request checks its
pack and labels and plans its detectors from the same snapshot, so a pull or a remove meanwhile never
gives it half of each, and the plan says which models each detector uses (detectors never ask again).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from avevents.core.errors import ModelUnavailable, UnknownLabel, UnknownPack

from .base import Detector
from .builtin import AUDIOSET_PACK, BUILTIN_DETECTORS, BUILTIN_PACK, TAGGER_MODEL

if TYPE_CHECKING:
    from avevents.models.audioset_labels import LabelSet
    from avevents.models.store import InstalledPack, ModelStore

__all__ = ["AUDIOSET_PACK", "BUILTIN_DETECTORS", "BUILTIN_PACK", "TAGGER_MODEL", "Packs", "PlanItem"]


@dataclass
class PlanItem:
    """One detector to run, the labels it must report, the resident models it uses and every label it
    could report (what a cached analysis keeps, so that a later request for other labels is served)."""

    detector: type[Detector]
    labels: list[str]
    model_names: tuple[str, ...] = ()  # for detectors created per label set
    producible: list[str] = field(default_factory=list)


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
def _audioset_labels(csv_path: Path, mtime: float) -> LabelSet:
    from avevents.models.audioset_labels import LabelSet, read_labels

    return LabelSet(read_labels(csv_path))


def rejoin_names(requested: list[str] | tuple[str, ...], known: list[str]) -> list[str]:
    """``requested`` with neighbours joined back into the known name they were split from: a
    comma-separated list ("--labels 'Inside, large room or hall,Speech'") cuts a name that holds commas
    into parts, and a part alone may name another label ("Inside" is three rooms)."""
    whole = {name.casefold(): name for name in known if "," in name}
    items = [x.strip() for x in requested]
    out: list[str] = []
    i = 0
    while i < len(items):
        for j in range(len(items), i + 1, -1):  # the longest run that is a whole name
            joined = whole.get(", ".join(items[i:j]).casefold())
            if joined is not None:
                out.append(joined)
                i = j
                break
        else:
            out.append(items[i])
            i += 1
    return out


def _with_builtins(learned: list[str]) -> list[str]:
    """A trained pack's labels, then the built-in ones it does not itself provide."""
    own = {x.casefold() for x in learned}
    return learned + [x for x in _builtin_labels() if x.casefold() not in own]


@dataclass(frozen=True)
class Packs:
    """What the store offers at one moment: the tagger, the frame encoder and the trained fusion packs."""

    tagger: InstalledPack | None = None
    vision: str | None = None  # the installed frame encoder (MobileNetV2 before ResNet18)
    fusion: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # trained pack -> its labels

    @classmethod
    def read(cls, store: ModelStore) -> Packs:
        """One look at ``store``."""
        from avevents.models.catalog import VISION_PACKS, is_fusion_pack

        local = (store.installed(name) for name in store.local_names())
        return cls(
            tagger=store.installed(TAGGER_MODEL),
            vision=next((name for name in VISION_PACKS if store.installed(name) is not None), None),
            fusion={p.spec.name: tuple(p.manifest.get("labels", [])) for p in local if is_fusion_pack(p)},
        )

    # --- packs ------------------------------------------------------------------------------------
    @property
    def default(self) -> str:
        return AUDIOSET_PACK if self.tagger is not None else BUILTIN_PACK

    def names(self) -> list[str]:
        return [BUILTIN_PACK, AUDIOSET_PACK, *self.fusion]

    def check(self, pack: str) -> str:
        """``pack`` (the default when empty), known here.

        :raises UnknownPack: with the closest names."""
        name = pack or self.default
        if name not in self.names():
            close = difflib.get_close_matches(name, self.names(), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownPack(f"unknown pack {name!r}{hint} (available: {', '.join(self.names())})")
        return name

    # --- labels -----------------------------------------------------------------------------------
    def tagger_labels(self) -> LabelSet:
        """The tagger's 527 labels.

        :raises ModelUnavailable: the tagger is not installed."""
        if self.tagger is None:
            raise ModelUnavailable(
                f"the {AUDIOSET_PACK!r} pack needs the AudioSet tagger: run `avevents models pull {TAGGER_MODEL}`"
            )
        path = self.tagger.file("class_labels_indices.csv")
        return _audioset_labels(path, path.stat().st_mtime)

    def default_labels(self, pack: str) -> list[str]:
        name = self.check(pack)
        if name == BUILTIN_PACK:
            return _builtin_labels()
        if name != AUDIOSET_PACK:
            return _with_builtins(list(self.fusion[name]))
        from avevents.models.audioset_labels import EDITOR_DEFAULTS

        tagger = self.tagger_labels()
        return _builtin_labels() + [label for label in EDITOR_DEFAULTS if label in tagger.index]

    def all_labels(self, pack: str) -> list[str]:
        name = self.check(pack)
        if name == BUILTIN_PACK:
            return _builtin_labels()
        if name != AUDIOSET_PACK:
            return self.default_labels(name)
        builtin = {x.casefold() for x in _builtin_labels()}
        return _builtin_labels() + [x for x in self.tagger_labels().names if x.casefold() not in builtin]

    def resolve_labels(self, pack: str, requested: tuple[str, ...] | list[str]) -> list[str]:
        """Canonical names of the requested labels (the pack's defaults when none are asked for).

        :raises UnknownPack, UnknownLabel: with the closest names."""
        name = self.check(pack)
        if not requested:
            return self.default_labels(name)
        if name == AUDIOSET_PACK:
            requested = rejoin_names(requested, self.tagger_labels().names)
        resolved: list[str] = []
        if name not in (BUILTIN_PACK, AUDIOSET_PACK):
            known = self.default_labels(name)
            requested = rejoin_names(requested, known)
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
                canonical = self.tagger_labels().require(label, name)
            if canonical not in resolved:
                resolved.append(canonical)
        return resolved

    # --- detectors --------------------------------------------------------------------------------
    def plan(self, pack: str, labels: list[str], rank_all: bool = False) -> list[PlanItem]:
        """Detectors to run for ``labels`` (already resolved), the labels each reports and its models;
        ``rank_all``: the tagger runs even when no label of its own is asked for (``--top``)."""
        wanted = set(labels)
        learned: list[PlanItem] = []
        name = self.check(pack)
        if name not in (BUILTIN_PACK, AUDIOSET_PACK):
            from .fusion import FusionDetector

            own = [x for x in labels if x in self.fusion[name]]
            learned = [PlanItem(FusionDetector, own, (name,), list(self.fusion[name]))] if own else []
            wanted -= set(own)
        items = [PlanItem(det, [x for x in det.spec.labels if x in wanted]) for det in BUILTIN_DETECTORS]
        items = learned + [item for item in items if item.labels]
        for item in items:
            item.producible = item.producible or list(item.labels)
        covered = {x for item in items for x in item.labels}
        rest = [x for x in labels if x not in covered]
        if not rest and name == AUDIOSET_PACK and ("Speech" in covered or rank_all):
            # The tagger checks Silero's Speech (laughs, coughs are not speech: engine/speech_gate.py);
            # it reports no label of its own here, so it runs on the audio alone.
            from .audioset import AudioSetDetector

            items.append(PlanItem(AudioSetDetector, [], (TAGGER_MODEL,), list(self.tagger_labels().names)))
        elif rest:
            tagged = list(self.tagger_labels().names)
            if self.vision is not None:
                from .audiovisual import AudioVisualDetector

                items.append(PlanItem(AudioVisualDetector, rest, (TAGGER_MODEL, self.vision), tagged))
            else:
                from .audioset import AudioSetDetector

                items.append(PlanItem(AudioSetDetector, rest, (TAGGER_MODEL,), tagged))
        return items
