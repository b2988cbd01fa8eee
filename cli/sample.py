"""``avevents sample``: make the demo clip the README's quick start analyses, with its ground truth."""

from __future__ import annotations

import argparse
import itertools
import json
import logging
from fractions import Fraction
from pathlib import Path

import numpy as np

from avevents.engine.media import synth
from avevents.engine.media.writer import write_media

log = logging.getLogger(__name__)

DEMO_SECONDS = 30.0
DEMO_RATE = Fraction(30000, 1001)
DEMO_SIZE = (640, 360)
AUDIO_RATE = 48000


def make_demo(path: str | Path, seed: int = 7) -> dict:
    """Write a 30 s 640x360 29.97 fps H.264 + AAC clip; return what is in it (by construction)."""
    rng = np.random.default_rng(seed)
    n = int(DEMO_SECONDS * AUDIO_RATE)
    audio = synth.noise_floor(rng, n, -60.0)
    truth: dict[str, list] = {"Speech": [], "Transient": [], "Scene cut": [], "Music": []}

    def place(signal: np.ndarray, at: float, label: str | None) -> None:
        i = int(at * AUDIO_RATE)
        audio[i : i + len(signal)] += signal[: n - i]
        if label:
            truth[label].append([round(at, 3), round(at + len(signal) / AUDIO_RATE, 3)])

    # Voices from seeds whose phrases Silero VAD scores as speech in >= 90 % of windows.
    place(synth.voice_phrase(np.random.default_rng(1), AUDIO_RATE, 12), 1.0, "Speech")
    for t in (7.0, 7.6, 8.2):
        place(synth.clap(rng, AUDIO_RATE), t, "Transient")
    place(synth.music(rng, AUDIO_RATE, 6.0), 10.0, "Music")
    place(synth.voice_phrase(np.random.default_rng(3), AUDIO_RATE, 12), 19.0, "Speech")
    place(synth.clap(rng, AUDIO_RATE, 0.9), 26.0, "Transient")

    # Four shots; cut frames chosen on the 29.97 grid. Shot 2 holds a one-frame flash (not a cut).
    fps = float(DEMO_RATE)
    total_frames = int(DEMO_SECONDS * fps)
    cut_frames = [int(6.0 * fps), int(16.0 * fps), int(23.5 * fps)]
    flash_frame = int(12.0 * fps)
    bounds = [0, *cut_frames, total_frames]
    truth["Scene cut"] = [round(f / fps, 3) for f in cut_frames]
    truth["flash (not a cut)"] = round(flash_frame / fps, 3)

    def frames():
        for shot, (a, b) in enumerate(itertools.pairwise(bounds)):
            for i, frame in enumerate(synth.shot_frames(shot, b - a, *DEMO_SIZE, rng, start_index=a)):
                if a + i == flash_frame:
                    frame = np.full_like(frame, 250)
                yield frame

    stereo = np.stack([audio, audio * 0.9], axis=1)
    write_media(path, frames=frames(), frame_rate=DEMO_RATE, audio=np.clip(stereo, -1, 1), sample_rate=AUDIO_RATE)
    # Silence: everything outside the sounds above (the noise floor is -60 dBFS).
    sounds = sorted(r for key in ("Speech", "Transient", "Music") for r in truth[key])
    silence, cursor = [], 0.0
    for a, b in sounds:
        if a - cursor >= 0.5:
            silence.append([round(cursor, 3), round(a, 3)])
        cursor = max(cursor, b)
    if DEMO_SECONDS - cursor >= 0.5:
        silence.append([round(cursor, 3), DEMO_SECONDS])
    truth["Silence"] = silence
    return truth


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sample", help="write the demo clip (speech, claps, music, silence, cuts) to analyse")
    p.add_argument("path", nargs="?", default="avevents-demo.mp4", help="where to write it (default: %(default)s)")
    p.add_argument("--truth", metavar="JSON", help="also write what the clip contains, by construction")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    truth = make_demo(args.path)
    if args.truth:
        Path(args.truth).write_text(json.dumps(truth, indent=2))
    print(f"wrote {args.path} ({DEMO_SECONDS:.0f} s, {DEMO_SIZE[0]}x{DEMO_SIZE[1]}, 29.97 fps, H.264 + AAC)")
    print(
        f"  speech at {', '.join(f'{a:.1f}-{b:.1f} s' for a, b in truth['Speech'])}; "
        f"claps at {', '.join(f'{a:.1f}' for a, _ in truth['Transient'])} s; "
        f"cuts at {', '.join(f'{t:.2f}' for t in truth['Scene cut'])} s"
    )
    return 0
