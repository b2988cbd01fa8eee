"""Quality of the built-in detectors on clips whose ground truth is known by construction.

    python bench/quality.py

Builds the tests' clips (real spoken words from ../shared over quiet noise, a clap, a music loop,
silences; shots with hard cuts, a flash and a fade at 23.976/25/29.97 fps; steady shots) and prints
boundary errors per label against the construction, plus the demo clip's figures.
"""

from __future__ import annotations

import os
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from avevents.cli.sample import make_demo  # noqa: E402
from avevents.core.results import DetectOptions  # noqa: E402
from avevents.engine.pipeline import detect  # noqa: E402
from avevents.engine.residency import ResidentModels  # noqa: E402
from tests import media_factory  # noqa: E402


def match_ranges(truth, found):
    """Per truth range: (start error, end error) of the overlapping found range, or None."""
    out = []
    for ts, te in truth:
        hits = [(fs, fe) for fs, fe in found if fs < te and fe > ts]
        out.append((hits[0][0] - ts, hits[0][1] - te) if len(hits) == 1 else None)
    return out


def ranges(result, label):
    return [(e.start_seconds, e.end_seconds) for e in result.events if e.label == label]


def report(name, label, truth, found):
    errors = match_ranges(truth, found)
    matched = [e for e in errors if e is not None]
    worst = max((max(abs(a), abs(b)) for a, b in matched), default=float("nan"))
    extra = len(found) - len(matched)
    print(
        f"{name:28} {label:10} truth {len(truth):2}  matched {len(matched):2}  extra {extra:2}  "
        f"worst boundary error {worst:.3f} s"
    )


def report_points(name, label, truth, found, frame):
    matched = [min((abs(f - t) for f in found), default=float("inf")) for t in truth]
    hits = [m for m in matched if m <= frame]
    print(
        f"{name:28} {label:10} truth {len(truth):2}  matched {len(hits):2}  extra {len(found) - len(hits):2}  "
        f"worst time error {max(hits, default=float('nan')) * 1000:.1f} ms (one frame = {frame * 1000:.1f} ms)"
    )


def time_precision_recall(truth, found, duration, step=0.1):
    """Precision and recall of labelled time, on a 0.1 s grid."""
    grid = np.arange(0, duration, step) + step / 2
    t = np.zeros(len(grid), bool)
    f = np.zeros(len(grid), bool)
    for a, b in truth:
        t |= (grid >= a) & (grid < b)
    for a, b in found:
        f |= (grid >= a) & (grid < b)
    both = np.sum(t & f)
    return both / max(np.sum(f), 1), both / max(np.sum(t), 1)


def audioset_report(models, tmp: Path) -> None:
    """The AudioSet pack on speech and music built from ../shared (weights from the shared mirror)."""
    import os

    from avevents.engine.media.writer import write_media
    from avevents.models.store import ModelStore

    mirror = media_factory.SHARED / "models"
    if not (mirror / "efficientat-mn04-as").exists() or not media_factory.WORDS.exists():
        print("(no shared weights or words: the AudioSet pack is skipped)")
        return
    os.environ["AVEVENTS_MODEL_STORE"] = str(tmp / "store")
    ModelStore(tmp / "store", mirror).pull("efficientat-mn04-as")
    audio, clip = media_factory.speech_and_music_soundtrack(48000)
    path = tmp / "speech_music.m4a"
    write_media(path, audio=audio, sample_rate=48000)
    result = detect(str(path), DetectOptions(pack="audioset", labels=("Speech", "Music")), models)
    for label, truth in (("Speech", clip.speech), ("Music", clip.music)):
        found = ranges(result, label)
        report("speech_music.m4a (audioset)", label, truth, found)
        precision, recall = time_precision_recall(truth, found, clip.duration)
        print(f"{'':28} {label:10} time precision {precision:.3f}  recall {recall:.3f}")


def main() -> int:
    os.environ.setdefault("AVEVENTS_CACHE", "off")  # measure the analysis, not the result cache
    models = ResidentModels()
    tmp = Path(tempfile.mkdtemp(prefix="avq-"))
    if media_factory.WORDS.exists():
        for with_video, name in ((True, "words.mp4"), (False, "words.wav")):
            clip = media_factory.write_speech_clip(tmp / name, with_video=with_video)
            result = detect(str(clip.path), DetectOptions(), models)
            report(name, "Speech", clip.speech, ranges(result, "Speech"))
            report(name, "Silence", clip.silence, ranges(result, "Silence"))
            report_points(name, "Transient", clip.transients, [s for s, _ in ranges(result, "Transient")], 0.02)
    else:
        print(f"(no {media_factory.WORDS}: the spoken-word clips are skipped)")
    for rate in (Fraction(24000, 1001), Fraction(25), Fraction(30000, 1001)):
        clip = media_factory.write_cut_clip(tmp / f"cuts{float(rate):.2f}.mp4", frame_rate=rate)
        result = detect(str(clip.path), DetectOptions(labels=("Scene cut",)), models)
        report_points(
            f"cuts @ {float(rate):.3f} fps",
            "Scene cut",
            clip.cuts,
            [s for s, _ in ranges(result, "Scene cut")],
            1 / float(rate),
        )
    for moving in (False, True):
        clip = media_factory.write_static_clip(tmp / f"steady{moving}.mp4", moving=moving)
        result = detect(str(clip.path), DetectOptions(labels=("Scene cut",)), models)
        print(
            f"{'steady shot' + (' (pan)' if moving else ''):28} Scene cut  spurious cuts: "
            f"{len(ranges(result, 'Scene cut'))}"
        )
    audioset_report(models, tmp)
    truth = make_demo(tmp / "demo.mp4")
    result = detect(str(tmp / "demo.mp4"), DetectOptions(), models)
    report("demo clip", "Speech", truth["Speech"], ranges(result, "Speech"))
    report("demo clip", "Silence", truth["Silence"], ranges(result, "Silence"))
    report_points(
        "demo clip", "Transient", [a for a, _ in truth["Transient"]], [s for s, _ in ranges(result, "Transient")], 0.02
    )
    report_points(
        "demo clip", "Scene cut", truth["Scene cut"], [s for s, _ in ranges(result, "Scene cut")], 1001 / 30000
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
