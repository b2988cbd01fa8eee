"""Events on real recordings: per-label precision, recall, F1 and onset error of the audio-visual pack.

    AVEVENTS_MODEL_MIRROR=../shared/models python bench/real_events.py [--sensitivity 0.5]

Three sets, all real sound:
- ``labelled_clips``: the laughter, applause and clapping recordings of ../shared/media/real (their labels
  are their file names); a clip counts as found when an event of its label is reported anywhere in it.
- ``av_clips``: the real video clips with their labels (../shared/media/real/LABELS.md); found as above;
  "picture-only" counts sound events reported with no audio support (audio confidence 0) on clips
  whose soundtrack is audible.
- ``long-form``: files made by placing the real recordings (the laughs, applause and claps above, spoken
  words, music loops, and with ``--extra`` further real recordings) over quiet noise at known times, so
  the ground truth is known. The placed labels and the editor defaults are asked for; a placed sound is
  found when an event of its label overlaps it (onset error: the event's start minus the sound's); an
  event is right when it overlaps a placed sound of its label, of a kind of it or of what it is a kind of
  (the ontology: Laughter on a Giggle, Musical instrument on a drum loop).

Clip-level precision counts the labels reported for a clip that belong to it (its own, a kind of one or
what one is a kind of, as in long-form) among all labels reported for it (of those asked for: the clip's
own and the editor defaults).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from avevents.core.results import DetectOptions  # noqa: E402
from avevents.engine.pipeline import detect  # noqa: E402
from avevents.engine.residency import ResidentModels  # noqa: E402
from avevents.models.audioset_labels import EDITOR_DEFAULTS  # noqa: E402
from avevents.models.audioset_ontology import descendants  # noqa: E402
from avevents.models.store import ModelStore  # noqa: E402
from tests import media_factory  # noqa: E402

REAL = media_factory.SHARED / "media" / "real"
PACKS = ("efficientat-mn04-as", "mobilenet-v2-imagenet")
RATE = 32000

LABELLED = {
    "applausedet_applause.wav": ("Applause",),
    "laughtracker_laughter.wav": ("Laughter",),
    "laughtracker_laughter_1.wav": ("Laughter",),
    "laughtracker_laughter_2.wav": ("Laughter",),
    "laughtracker_laughter_3.wav": ("Laughter",),
    "laughtracker_laughter_4.wav": ("Laughter",),
    "remoteapplause_clap.wav": ("Clapping",),
    "remoteapplause_laugh.wav": ("Laughter",),
    "panns_R9_ZSCveAHg_7s.wav": ("Speech", "Telephone bell ringing"),
}
# The main labels of each real video clip (LABELS.md), and whether its soundtrack is audible throughout.
AV_CLIPS = {
    "0lFf-HP86Q0.mp4": ("Female speech, woman speaking",),
    "16eUxQwxxbs.mp4": ("Ukulele",),
    "22olCB3wQaA.mp4": ("Race car, auto racing",),
    "audioset_eval_-1hDIl9Udkw_30.000_40.000.mp4": ("Music", "Rattle", "Speech"),
    "audioset_eval_2j4m7JsNtNA_30.000_40.000.mp4": ("Doorbell", "Music", "Ding-dong", "Speech"),
    "audioset_eval_3GbIhQLCH9I_16.000_26.000.mp4": ("Horse", "Music", "Neigh, whinny", "Speech"),
    "audioset_eval_4egukLBpAcQ_30.000_40.000.mp4": ("Chainsaw", "Vehicle", "Speech"),
    "llp_BjCEufrlXm4.mp4": ("Speech", "Dog"),
}
SOUND_LABELS = {"Dog", "Bark", "Horse", "Chainsaw", "Laughter", "Applause", "Clapping", "Music", "Speech", "Cheering"}


@dataclass
class Tally:
    expected: int = 0
    found: int = 0
    reported: int = 0
    right: int = 0
    onsets: list[float] = field(default_factory=list)

    def row(self, name: str) -> str:
        recall = self.found / self.expected if self.expected else float("nan")
        precision = self.right / self.reported if self.reported else float("nan")
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        onset = f"{statistics.median(self.onsets):+.2f}" if self.onsets else "-"
        return f"  {name:<34} {self.expected:4d} {self.found:6d} {recall:7.2f} {precision:9.2f} {f1:5.2f} {onset:>8}"


def _heading(title: str) -> None:
    columns = f"{'want':>4} {'found':>6} {'recall':>7} {'precision':>9} {'F1':>5} {'onset s':>8}"
    print(f"\n{title}\n  {'label':<34} {columns}")


def _clip_level(models, files: dict[str, tuple[str, ...]], folder: Path, sensitivity: float, title: str) -> None:
    tallies: dict[str, Tally] = defaultdict(Tally)
    picture_only = 0
    for name, labels in files.items():
        path = folder / name
        asked = tuple(dict.fromkeys((*labels, *EDITOR_DEFAULTS)))
        result = detect(str(path), DetectOptions(pack="audioset", labels=asked, sensitivity=sensitivity), models)
        got = {e.label for e in result.events}
        for label in labels:
            tallies[label].expected += 1
            tallies[label].found += label in got
        for label in got:
            tallies[label].reported += 1
            tallies[label].right += any(_kin(label, own) for own in labels)
        picture_only += sum(
            1 for e in result.events if e.label in SOUND_LABELS and e.audio_confidence == 0 and result.media.has_audio
        )
        print(f"  {name}: {', '.join(sorted(got)) or '(no events)'}")
    _heading(title)
    for label in sorted(tallies, key=lambda x: (-tallies[x].expected, x)):
        if tallies[label].expected:
            print(tallies[label].row(label))
    total = Tally(
        sum(t.expected for t in tallies.values()),
        sum(t.found for t in tallies.values()),
        sum(t.reported for t in tallies.values()),
        sum(t.right for t in tallies.values()),
    )
    print(total.row("all (micro)"))
    print(f"  picture-only sound events on audible clips: {picture_only}")


def _kin(reported: str, placed: str) -> bool:
    """A reported label is right on a placed sound of the same label, of a kind of it (Laughter on a
    Giggle) or of what it is a kind of (Musical instrument on Music: the loop is drums)."""
    return reported == placed or placed in descendants(reported) or reported in descendants(placed)


def real_sounds(extra: Path | None, seed: int, files: int) -> list[tuple[str, np.ndarray]]:
    """(label, samples at RATE) of the real sounds with a known label for long file ``seed`` of ``files``:
    the laughs, applause and claps of labelled_clips (their first 6 s of activity), four spoken words, a
    music loop, and every ``files``-th recording listed in ``extra``/MANIFEST.csv (columns file,
    audioset_label and optionally real_recording, where "no..." leaves out electronic tones; see HOWTO.md
    there), so that each of those is in one file."""
    pieces: list[tuple[str, np.ndarray]] = []
    for name, labels in LABELLED.items():
        if labels[0] in ("Laughter", "Applause", "Clapping"):
            audio = media_factory.load_audio(REAL / "labelled_clips" / name, RATE)
            a, b = media_factory.active_extent(audio, RATE)
            pieces.append((labels[0], audio[a:b][: 6 * RATE]))
    for word in media_factory.words(media_factory.pick_words(4, offset=seed * 4), RATE):
        pieces.append(("Speech", word))
    music = media_factory.load_audio(media_factory.SHARED / "media" / "sounds" / "music_house_loop01.flac", RATE)
    pieces.append(("Music", music[: 5 * RATE]))
    if extra is not None:
        with open(extra / "MANIFEST.csv", newline="") as fh:
            rows = [row for row in csv.DictReader(fh) if not row.get("real_recording", "yes").startswith("no")]
            for row in rows[seed::files]:
                audio = media_factory.load_audio(extra / row["file"], RATE)
                a, b = media_factory.active_extent(audio, RATE)
                pieces.append((row["audioset_label"], audio[a:b][: 8 * RATE]))
    return pieces


def compose_long_form(
    pieces: list[tuple[str, np.ndarray]], seed: int
) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """The pieces in a random order, 2-4 s apart, over quiet room noise (-55 dBFS): (samples, truth)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pieces))
    track, truth, t = [], [], 2.0
    for k in order:
        label, audio = pieces[k]
        audio = audio / (np.abs(audio).max() + 1e-9) * 0.5
        truth.append((label, t, t + len(audio) / RATE))
        track.append((int(t * RATE), audio))
        t += len(audio) / RATE + float(rng.uniform(2.0, 4.0))
    total = np.zeros(int((t + 2.0) * RATE), np.float32)
    total += rng.standard_normal(len(total)).astype(np.float32) * 10 ** (-55 / 20)  # quiet room noise
    for start, audio in track:
        total[start : start + len(audio)] += audio
    return total, truth


def _long_form(models, folder: Path, sensitivity: float, seed: int, pieces) -> Tally:
    """A long file of real sounds over quiet noise; prints and returns the event-level tally."""
    total, truth = compose_long_form(pieces, seed)
    path = folder / f"long-{seed}.wav"
    media_factory.write_raw_wav(path, total[:, None], RATE)
    # Asked: the placed labels and the editor defaults, so that false alarms of the defaults count.
    labels = tuple(dict.fromkeys((*sorted({label for label, _, _ in truth}), *EDITOR_DEFAULTS)))
    result = detect(str(path), DetectOptions(pack="audioset", labels=labels, sensitivity=sensitivity), models)
    tallies: dict[str, Tally] = defaultdict(Tally)
    for label, start, end in truth:
        tallies[label].expected += 1
        hits = [e for e in result.events if e.label == label and e.start_seconds < end and e.end_seconds > start]
        if hits:
            tallies[label].found += 1
            tallies[label].onsets.append(hits[0].start_seconds - start)
    for e in result.events:
        tallies[e.label].reported += 1
        tallies[e.label].right += any(
            _kin(e.label, label) and e.start_seconds < end and e.end_seconds > start for label, start, end in truth
        )
    _heading(f"long-form file {seed} ({len(total) / RATE:.0f} s, {len(truth)} placed sounds)")
    for label in sorted(tallies):
        print(tallies[label].row(label))
    micro = Tally(*(sum(getattr(t, f) for t in tallies.values()) for f in ("expected", "found", "reported", "right")))
    micro.onsets = [o for t in tallies.values() for o in t.onsets]
    print(micro.row("all (micro)"))
    return micro


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensitivity", type=float, default=0.5)
    parser.add_argument("--long-files", type=int, default=2)
    parser.add_argument(
        "--extra", type=Path, help="a folder of further real recordings with MANIFEST.csv (file, audioset_label)"
    )
    args = parser.parse_args()
    for part in ("labelled_clips", "av_clips"):
        media_factory.shared_or_skip("media", "real", part)
    mirror = Path(os.environ.get("AVEVENTS_MODEL_MIRROR", media_factory.SHARED / "models"))
    work = Path(tempfile.mkdtemp(prefix="avre-"))
    store = ModelStore(work / "store", mirror)
    for pack in PACKS:
        store.pull(pack)
    os.environ.update(AVEVENTS_MODEL_STORE=str(store.root), AVEVENTS_CACHE="off")
    models = ResidentModels()
    print(f"sensitivity {args.sensitivity}")
    _clip_level(models, LABELLED, REAL / "labelled_clips", args.sensitivity, "labelled_clips (clip level)")
    _clip_level(models, AV_CLIPS, REAL / "av_clips", args.sensitivity, "av_clips (clip level)")
    micro = Tally()
    for seed in range(args.long_files):
        pieces = real_sounds(args.extra, seed, args.long_files)
        one = _long_form(models, work, args.sensitivity, seed, pieces)
        for f in ("expected", "found", "reported", "right"):
            setattr(micro, f, getattr(micro, f) + getattr(one, f))
        micro.onsets += one.onsets
    _heading("long-form files together")
    print(micro.row("all (micro)"))


if __name__ == "__main__":
    main()
