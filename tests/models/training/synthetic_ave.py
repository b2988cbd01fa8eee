"""A small audio-visual dataset in AVE format, made by the tests with known ground truth: 10-second
videos where an event's sound and picture co-occur for whole seconds [start, end) (a bird chirping on a
bird picture, a cat's meow on a cat picture, words spoken over a person's portrait), distractors where
only one modality shows a class (labelled background, as AVE requires both), quiet grey elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from avevents.engine.media.writer import write_media

from ...media_factory import SHARED, pick_words, words

RATE = 16000
FPS = 10
SIZE = (160, 120)
CLASSES = {"Bird": "bird.bmp", "Cat": "cat.bmp", "Speech": "grace_hopper.bmp"}


def _picture(name: str) -> np.ndarray:
    return np.asarray(Image.open(SHARED / "media" / "images" / name).convert("RGB").resize(SIZE))


def _sound(label: str, seconds: float, rng: np.random.Generator) -> np.ndarray:
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    if label == "Bird":  # chirps: fast upward sweeps, five a second
        phase = (t * 5) % 1.0
        freq = 2500 + 2500 * phase
        tone = np.sin(2 * np.pi * np.cumsum(freq) / RATE) * (phase < 0.5)
        return 0.4 * tone
    if label == "Cat":  # meows: a harmonic tone gliding down, with vibrato, 0.6 s in each second
        phase = t % 1.0
        f0 = 700 - 300 * phase + 15 * np.sin(2 * np.pi * 6 * t)
        base = np.cumsum(f0) / RATE
        tone = sum(np.sin(2 * np.pi * k * base) / k for k in range(1, 6))
        return 0.3 * tone * (phase < 0.6) * np.sin(np.pi * np.clip(phase / 0.6, 0, 1))
    names = pick_words(6, offset=int(rng.integers(0, 150)))
    spoken = np.concatenate([np.concatenate((w, np.zeros(int(0.15 * RATE)))) for w in words(names, RATE)])
    return np.resize(spoken, n) * 0.8


@dataclass(frozen=True)
class Video:
    video_id: str
    category: str
    start: int  # the event: heard and seen in [start, end)
    end: int
    distractor: tuple[str, str, int, int] | None = None  # (class, "audio" | "video", start, end): one modality only


def write_video(folder: Path, video: Video, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    audio = rng.normal(0, 0.003, 10 * RATE).astype(np.float32)
    audio[video.start * RATE : video.end * RATE] += _sound(video.category, video.end - video.start, rng)
    pictures = [None] * 10  # the class shown in each second
    for second in range(video.start, video.end):
        pictures[second] = video.category
    if video.distractor:
        label, modality, ds, de = video.distractor
        if modality == "audio":
            audio[ds * RATE : de * RATE] += _sound(label, de - ds, rng)
        else:
            for second in range(ds, de):
                pictures[second] = label
    grey = np.full((SIZE[1], SIZE[0], 3), 110, np.uint8)
    shown = {label: _picture(name) for label, name in CLASSES.items()}

    def frames():
        for i in range(10 * FPS):
            label = pictures[i // FPS]
            base = shown[label] if label else grey
            noise = rng.integers(-4, 5, base.shape)
            yield np.clip(base.astype(np.int16) + noise, 0, 255).astype(np.uint8)

    path = folder / f"{video.video_id}.mp4"
    write_media(path, frames=frames(), frame_rate=FPS, audio=np.clip(audio, -1, 1), sample_rate=RATE)
    return path


def make_dataset(root: Path, per_class: dict[str, int], seed: int = 0) -> dict[str, list[Video]]:
    """Write ``root``/{categories,trainSet,valSet,testSet}.txt and ``root``/videos/<id>.mp4; half the
    videos carry a distractor (another class in one modality, outside the event: background)."""
    rng = np.random.default_rng(seed)
    videos_dir = root / "videos"
    videos_dir.mkdir(parents=True, exist_ok=True)
    (root / "categories.txt").write_text("\n".join(CLASSES) + "\n")
    made: dict[str, list[Video]] = {}
    counter = 0
    for split, file in (("train", "trainSet.txt"), ("val", "valSet.txt"), ("test", "testSet.txt")):
        made[split] = []
        for label in CLASSES:
            for _ in range(per_class[split]):
                start = int(rng.integers(0, 6))
                end = start + int(rng.integers(3, 5))
                distractor = None
                room = [(0, start), (end, 10)]
                lo, hi = max(room, key=lambda r: r[1] - r[0])
                if hi - lo >= 2 and rng.random() < 0.5:
                    other = [c for c in CLASSES if c != label][int(rng.integers(0, len(CLASSES) - 1))]
                    distractor = (other, "audio" if rng.random() < 0.5 else "video", lo, min(hi, lo + 3))
                video = Video(f"v{counter:03d}", label, start, end, distractor)
                write_video(videos_dir, video, seed * 1000 + counter)
                made[split].append(video)
                counter += 1
        rows = [f"{v.category}&{v.video_id}&good&{v.start}&{v.end}" for v in made[split]]
        (root / file).write_text("\n".join(rows) + "\n")
    return made
