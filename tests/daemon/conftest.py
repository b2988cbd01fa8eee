"""Fixtures the daemon's tests share."""

from __future__ import annotations

import numpy as np
import pytest

from avevents.engine.media.writer import write_media


@pytest.fixture(scope="module")
def clip_720p(tmp_path_factory):
    """40 s of 1280x720 at 25 fps with a noisy soundtrack (content is irrelevant: only how fast work stops)."""
    path = tmp_path_factory.mktemp("cancel") / "720p.mp4"
    rng = np.random.default_rng(3)
    looks = [rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8) for _ in range(5)]
    fps, seconds = 25, 40
    frames = (looks[(i // fps) % len(looks)] for i in range(seconds * fps))
    audio = (rng.standard_normal(seconds * 16000) * 0.05).astype(np.float32)
    write_media(path, frames=frames, frame_rate=fps, audio=audio, sample_rate=16000,
                video_options={"preset": "ultrafast"})  # fmt: skip
    return path
