"""Modality attention under damage, as in the seeds: mute the audio, blur the video, add noise.

    AVEVENTS_MODEL_MIRROR=../shared/models python bench/robustness.py [--pack FUSION_PACK] [CLIP LABEL ...]

Defaults to the shared real clips with a visible sound source (a barking dog, a ukulele). Installs the
tagger and the frame encoder from the mirror into a temporary store when they are not installed.
``--pack`` measures a trained fusion pack (learned attention) instead of the zero-shot rule.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AVEVENTS_SHARED", ROOT.parent / "shared"))
DEFAULT_CASES = [("media/real/av_clips/llp_BjCEufrlXm4.mp4", "Dog"), ("media/real/av_clips/16eUxQwxxbs.mp4", "Ukulele")]


def main(argv: list[str]) -> int:
    os.environ.setdefault("AVEVENTS_CACHE", "off")  # measure the analysis, not the result cache
    from avevents.engine.residency import ResidentModels
    from avevents.engine.robustness import CONDITIONS, modality_attention, perturb
    from avevents.models.store import ModelStore

    pack = ""
    if argv[:1] == ["--pack"]:
        pack, argv = argv[1], argv[2:]
    store = ModelStore()
    needed = ("efficientat-mn04-as", "mobilenet-v2-imagenet")
    if any(store.installed(n) is None for n in needed):
        mirror = store.mirror or SHARED / "models"
        store = ModelStore(Path(tempfile.mkdtemp(prefix="avr-")), mirror)
        os.environ["AVEVENTS_MODEL_STORE"] = str(store.root)
        for name in needed:
            store.pull(name)
    cases = [(Path(argv[i]), argv[i + 1]) for i in range(0, len(argv) - 1, 2)] or [
        (SHARED / clip, label) for clip, label in DEFAULT_CASES
    ]
    models = ResidentModels()
    work = Path(tempfile.mkdtemp(prefix="avr-clips-"))
    print(
        f"{'clip':22} {'label':8} {'condition':14} {'w_audio':>8} {'w_video':>8} {'audio':>6} {'video':>6} {'fused':>6}"
    )
    for clip, label in cases:
        for condition in CONDITIONS:
            copy = perturb(clip, condition, work / f"{clip.stem}-{condition.replace(' ', '_')}.mp4")
            a = modality_attention(copy, label, models, pack)
            print(
                f"{clip.name[:22]:22} {label:8} {condition:14} {a.audio_weight:8.3f} {a.video_weight:8.3f} "
                f"{a.audio_score:6.3f} {a.video_score:6.3f} {a.fused_score:6.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
