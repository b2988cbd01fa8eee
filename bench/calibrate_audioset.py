"""Each AudioSet label's operating point, from real recordings (the rule: avevents.models.audioset_operating_points).

    python bench/calibrate_audioset.py            # writes models/bundled/audioset_operating_points.csv
    python bench/calibrate_audioset.py --check    # exit 1 when the bundled table differs from a fresh one

The material is every real recording in ../shared/media with known labels (labelled_clips, av_clips with
LABELS.md, audio/, the music loops); each file counts as a negative for every label that is neither one of
its labels nor above or below one in the ontology. A label's slot scores are the product's own (the
AudioSet detector: families, centred windows).
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from avevents.engine.detectors.audioset import AudioSetDetector  # noqa: E402
from avevents.engine.media.decode import AudioBlock  # noqa: E402
from avevents.models import audioset_operating_points as points  # noqa: E402
from avevents.models.audioset_ontology import family  # noqa: E402
from avevents.models.mel import SAMPLE_RATE  # noqa: E402
from avevents.models.store import ModelStore  # noqa: E402
from tests import media_factory  # noqa: E402

log = logging.getLogger("calibrate")
MEDIA = media_factory.SHARED / "media"
REAL = MEDIA / "real"
TAGGER = "efficientat-mn04-as"
# (file, its labels): LABELS.md for av_clips, the file names for labelled_clips and the rest.
MATERIAL = [
    (REAL / "labelled_clips" / "applausedet_applause.wav", ("Applause",)),
    *((REAL / "labelled_clips" / f"laughtracker_laughter{s}.wav", ("Laughter",)) for s in ("", "_1", "_2", "_3", "_4")),
    (REAL / "labelled_clips" / "remoteapplause_clap.wav", ("Clapping",)),
    (REAL / "labelled_clips" / "remoteapplause_laugh.wav", ("Laughter",)),
    (REAL / "labelled_clips" / "panns_R9_ZSCveAHg_7s.wav", ("Speech", "Telephone bell ringing")),
    (MEDIA / "audio" / "music.wav", ("Music",)),
    (MEDIA / "audio" / "speech.wav", ("Speech",)),
    (MEDIA / "audio" / "typing.wav", ("Typing",)),
    *((path, ("Music",)) for path in sorted((MEDIA / "sounds").glob("music_*.flac"))),
    (REAL / "av_clips" / "0lFf-HP86Q0.mp4", ("Female speech, woman speaking",)),
    (REAL / "av_clips" / "16eUxQwxxbs.mp4", ("Ukulele",)),
    (REAL / "av_clips" / "22olCB3wQaA.mp4", ("Race car, auto racing",)),
    (REAL / "av_clips" / "audioset_eval_-1hDIl9Udkw_30.000_40.000.mp4", ("Music", "Rattle", "Speech")),
    (REAL / "av_clips" / "audioset_eval_2j4m7JsNtNA_30.000_40.000.mp4", ("Doorbell", "Music", "Ding-dong", "Speech")),
    (
        REAL / "av_clips" / "audioset_eval_3GbIhQLCH9I_16.000_26.000.mp4",
        ("Horse", "Music", "Neigh, whinny", "Speech", "Animal"),
    ),
    (REAL / "av_clips" / "audioset_eval_4egukLBpAcQ_30.000_40.000.mp4", ("Chainsaw", "Vehicle", "Speech")),
    (REAL / "av_clips" / "llp_BjCEufrlXm4.mp4", ("Speech", "Dog")),
]


def slot_scores(tagger, path: Path) -> np.ndarray:
    """[slots, 527] the AudioSet detector's slot scores of every label on ``path``."""
    audio = media_factory.load_audio(path, SAMPLE_RATE)
    detector = AudioSetDetector(tagger, list(tagger.labels.names))
    block = 5 * SAMPLE_RATE
    for i in range(0, len(audio), block):
        detector.feed_audio(AudioBlock(SAMPLE_RATE, i / SAMPLE_RATE, audio[i : i + block]))
    return np.stack([track.scores for track in detector.finish()[: len(tagger.labels.names)]], axis=1)


def calibrate(tagger) -> list[dict]:
    """A row per label: its threshold by the rule, the highest negative score and the negative seconds."""
    names = list(tagger.labels.names)
    index = tagger.labels.index
    related = {name: set(family(name, index)) for name in names}
    highest = np.zeros(len(names))
    seconds = np.zeros(len(names))
    for path, labels in MATERIAL:
        scores = slot_scores(tagger, path)
        for i, name in enumerate(names):
            if any(label in related[name] or name in related[label] for label in labels):
                continue  # the file holds this label, or a kind of it, or what it is a kind of
            highest[i] = max(highest[i], float(scores[:, i].max()))
            seconds[i] += len(scores) * 0.5
        log.info("%s: %d slots", path.name, len(scores))
    return [
        {
            "label": name,
            "threshold": f"{points.threshold_for(highest[i]):.3f}",
            "highest_negative": f"{highest[i]:.3f}",
            "negative_seconds": f"{seconds[i]:.1f}",
        }
        for i, name in enumerate(names)
    ]


def read_table(path: Path) -> dict[str, float]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["label"]: float(row["threshold"]) for row in csv.DictReader(fh)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the bundled table instead of writing it")
    parser.add_argument("--out", type=Path, default=points.TABLE)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for path, _ in MATERIAL:
        if not path.exists():
            log.error("real material not found: %s (set AVEVENTS_SHARED to the shared/ folder)", path)
            return 2
    mirror = Path(os.environ.get("AVEVENTS_MODEL_MIRROR", media_factory.SHARED / "models"))
    store = ModelStore(Path(tempfile.mkdtemp(prefix="avcal-")) / "store", mirror)
    store.pull(TAGGER)
    from dataclasses import replace

    from avevents.core.settings import Settings, StoreSettings
    from avevents.engine.residency import ResidentModels

    settings = replace(Settings.from_environment(), store=StoreSettings(root=store.root))
    models = ResidentModels(settings=settings)
    rows = calibrate(models.get(TAGGER))
    if args.check:
        bundled = read_table(args.out)
        fresh = {row["label"]: float(row["threshold"]) for row in rows}
        differ = [name for name in fresh if abs(bundled.get(name, -1.0) - fresh[name]) > 0.002]
        for name in differ[:20]:
            log.error("%s: bundled %s, fresh %.3f", name, bundled.get(name), fresh[name])
        log.info("%d of %d labels differ", len(differ), len(fresh))
        return 1 if differ else 0
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    log.info("wrote %s (%d labels)", args.out, len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
