"""Which detectors exist, which labels they produce, and how a request's labels pick detectors."""

from __future__ import annotations

import difflib

from ..errors import UnknownLabel, UnknownPack
from .base import Detector
from .cuts import CutDetector
from .silence import SilenceDetector
from .speech import SpeechDetector
from .transients import TransientDetector

BUILTIN_PACK = "builtin"
BUILTIN_DETECTORS: tuple[type[Detector], ...] = (SpeechDetector, SilenceDetector, TransientDetector, CutDetector)
PACKS: dict[str, tuple[type[Detector], ...]] = {BUILTIN_PACK: BUILTIN_DETECTORS}
DEFAULT_PACK = BUILTIN_PACK


def pack_detectors(pack: str) -> tuple[type[Detector], ...]:
    name = pack or DEFAULT_PACK
    if name not in PACKS:
        close = difflib.get_close_matches(name, PACKS, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownPack(f"unknown pack {name!r}{hint} (available: {', '.join(PACKS)})")
    return PACKS[name]


def pack_labels(pack: str) -> list[str]:
    return [label for det in pack_detectors(pack) for label in det.spec.labels]


def resolve_labels(pack: str, requested: tuple[str, ...] | list[str]) -> list[str]:
    """The pack's canonical spelling of each requested label (case-insensitive); all when none asked."""
    known = pack_labels(pack)
    if not requested:
        return known
    by_folded = {label.casefold(): label for label in known}
    resolved: list[str] = []
    for label in requested:
        canonical = by_folded.get(label.strip().casefold())
        if canonical is None:
            close = difflib.get_close_matches(label, known, n=3, cutoff=0.5) or difflib.get_close_matches(
                label.casefold(), list(by_folded), n=3, cutoff=0.5
            )
            close = [by_folded.get(c, c) for c in close]
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownLabel(
                f"unknown label {label!r} for pack {pack or DEFAULT_PACK!r}{hint} (labels: {', '.join(known)})"
            )
        if canonical not in resolved:
            resolved.append(canonical)
    return resolved


def detectors_for(pack: str, labels: list[str]) -> list[type[Detector]]:
    wanted = set(labels)
    return [det for det in pack_detectors(pack) if wanted.intersection(det.spec.labels)]
