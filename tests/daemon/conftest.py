"""Fixtures of the daemon tests that use the real models."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from avevents.daemon.media.writer import write_media

from .. import media_factory

RATE = 32000


@pytest.fixture(scope="session")
def recordings(tmp_path_factory):
    """Three 40 s clips made of the real laughter / applause / speech recordings over a real picture:
    several tagger and frame-encoder batches each, so concurrent jobs meet at the device."""
    clips = media_factory.shared_or_skip("media", "real", "labelled_clips")
    images = media_factory.shared_or_skip("media", "images")
    plans = {
        "laughs.mp4": (["laughtracker_laughter.wav", "remoteapplause_laugh.wav"], "cat.bmp"),
        "applause.mp4": (["applausedet_applause.wav", "remoteapplause_clap.wav"], "sunflower.bmp"),
        "talk.mp4": (["panns_R9_ZSCveAHg_7s.wav", "laughtracker_laughter_2.wav"], "grace_hopper.bmp"),
    }
    folder = tmp_path_factory.mktemp("cross-batching")
    paths = []
    for name, (sounds, image) in plans.items():
        audio = np.concatenate([media_factory.load_audio(clips / s, RATE) for s in sounds])
        audio = np.resize(audio, 40 * RATE).astype(np.float32) * 0.8
        picture = np.asarray(Image.open(images / image).convert("RGB").resize((160, 120)))
        write_media(
            folder / name,
            frames=(picture for _ in range(40 * 10)),
            frame_rate=10,
            audio=audio,
            sample_rate=RATE,
            video_options={"preset": "ultrafast"},
        )
        paths.append(str(folder / name))
    return paths
