"""The built-in detectors (signal processing and the bundled voice model: nothing to download) and the
names of the two packs every install has. A leaf: residency lists these without asking the planner."""

from __future__ import annotations

from .base import Detector
from .cuts import CutDetector
from .silence import SilenceDetector
from .speech import SpeechDetector
from .transients import TransientDetector

BUILTIN_PACK = "builtin"
AUDIOSET_PACK = "audioset"
TAGGER_MODEL = "efficientat-mn04-as"
BUILTIN_DETECTORS: tuple[type[Detector], ...] = (SpeechDetector, SilenceDetector, TransientDetector, CutDetector)
