"""Shared fixtures: media built once per session, and live daemons on real sockets."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from avevents.engine.media.writer import write_media

from . import media_factory

DAEMON_DIRS: list[Path] = []
RECORDING_RATE = 32000


@pytest.fixture(scope="session", autouse=True)
def empty_model_store():
    """Tests see an empty model store (and their daemons inherit it), whatever this machine has
    installed; tests that need packs install them into their own store from the shared mirror."""
    path = Path(tempfile.mkdtemp(prefix="avevents-store-"))
    old = os.environ.get("AVEVENTS_MODEL_STORE")
    os.environ["AVEVENTS_MODEL_STORE"] = str(path)
    # Every test analyses for real (a cached result would end a cancel test before it starts); the result
    # cache's own tests switch it on with a folder of their own.
    os.environ["AVEVENTS_CACHE"] = "off"
    os.environ["AVEVENTS_CACHE_DIR"] = str(path / ".results")
    yield path
    for folder in DAEMON_DIRS:  # the daemons' private folders, kept until now for their logs
        shutil.rmtree(folder, ignore_errors=True)
    if old is None:
        os.environ.pop("AVEVENTS_MODEL_STORE", None)
    else:
        os.environ["AVEVENTS_MODEL_STORE"] = old
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def av_store(tmp_path_factory):
    """A store (for this module) holding the tagger and the frame encoder, pulled from the shared mirror."""
    from avevents.models.store import ModelStore

    packs = ("efficientat-mn04-as", "mobilenet-v2-imagenet")
    for pack in packs:
        media_factory.shared_or_skip("models", pack)
    store = ModelStore(tmp_path_factory.mktemp("store"), media_factory.SHARED / "models")
    for pack in packs:
        store.pull(pack)
    old = os.environ["AVEVENTS_MODEL_STORE"]
    os.environ["AVEVENTS_MODEL_STORE"] = str(store.root)
    yield store
    os.environ["AVEVENTS_MODEL_STORE"] = old


@pytest.fixture(scope="session")
def media_dir():
    path = Path(tempfile.mkdtemp(prefix="avevents-media-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def speech_clip(media_dir):
    media_factory.shared_or_skip("media", "sounds", "words")
    return media_factory.write_speech_clip(media_dir / "speech.mp4")


@pytest.fixture(scope="session")
def speech_wav(media_dir):
    media_factory.shared_or_skip("media", "sounds", "words")
    return media_factory.write_speech_clip(media_dir / "speech.wav", with_video=False)


@pytest.fixture(scope="session")
def cut_clip(media_dir):
    return media_factory.write_cut_clip(media_dir / "cuts.mp4")


@pytest.fixture(scope="session")
def av_clip(media_dir):
    """A small clip with both streams (cuts and quiet noise)."""
    return media_factory.write_cut_clip(media_dir / "av.mp4", seconds=6.0, with_audio=True)


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
        audio = np.concatenate([media_factory.load_audio(clips / s, RECORDING_RATE) for s in sounds])
        audio = np.resize(audio, 40 * RECORDING_RATE).astype(np.float32) * 0.8
        picture = np.asarray(Image.open(images / image).convert("RGB").resize((160, 120)))
        write_media(
            folder / name,
            frames=(picture for _ in range(40 * 10)),
            frame_rate=10,
            audio=audio,
            sample_rate=RECORDING_RATE,
            video_options={"preset": "ultrafast"},
        )
        paths.append(str(folder / name))
    return paths


@pytest.fixture(scope="session")
def long_clip(media_dir):
    """Four minutes of small video and audio: long enough to cancel or queue behind."""
    path = media_dir / "long.mp4"
    rng = np.random.default_rng(0)
    fps = 30
    seconds = 240
    frames = (np.full((72, 128, 3), (i // fps) % 200 + 20, np.uint8) for i in range(seconds * fps))
    audio = (rng.standard_normal(seconds * 16000) * 0.05).astype(np.float32)
    write_media(
        path, frames=frames, frame_rate=fps, audio=audio, sample_rate=16000, video_options={"preset": "ultrafast"}
    )
    return path


@dataclass
class LiveDaemon:
    process: subprocess.Popen
    runtime_dir: Path
    config_dir: Path
    env: dict
    address: str

    def client(self):
        from avevents.daemon.client import DaemonClient

        token = None
        token_file = self.config_dir / "token"
        if token_file.exists():
            token = token_file.read_text().strip()
        return DaemonClient(self.address, token)

    def stop(self, sig=signal.SIGTERM, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return self.process.wait()
        return self.process.returncode


def isolated_env(runtime_dir: Path, config_dir: Path) -> dict:
    env = dict(os.environ)
    env["AVEVENTS_RUNTIME_DIR"] = str(runtime_dir)
    env["AVEVENTS_CONFIG_DIR"] = str(config_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_daemon(
    *extra: str, wait: bool = True, prefix: tuple[str, ...] = (), env_extra: dict | None = None
) -> LiveDaemon:
    """``avevents serve`` in a subprocess with its own private runtime and config directories
    (``prefix`` runs it under a wrapper, e.g. setpriv to drop capabilities)."""
    base = Path(tempfile.mkdtemp(prefix="av-"))  # short: Unix socket paths are limited to ~100 bytes
    DAEMON_DIRS.append(base)
    runtime_dir, config_dir = base / "run", base / "cfg"
    env = isolated_env(runtime_dir, config_dir)
    env.update(env_extra or {})
    log = open(base / "daemon.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [*prefix, sys.executable, "-m", "avevents.cli.main", "serve", *extra],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    daemon = LiveDaemon(process, runtime_dir, config_dir, env, "")
    if wait:
        deadline = time.monotonic() + 60
        info_file = runtime_dir / "daemon.json"
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"daemon exited with {process.returncode}: {(base / 'daemon.log').read_text()}")
            if info_file.exists():
                import json

                daemon.address = json.loads(info_file.read_text())["address"]
                with daemon.client() as c:
                    if c.healthy(2.0):
                        return daemon
            time.sleep(0.1)
        daemon.stop(signal.SIGKILL)
        raise RuntimeError(f"daemon did not come up: {(base / 'daemon.log').read_text()}")
    return daemon


def stop_daemon_in(runtime_dir: Path, timeout: float = 20) -> None:
    """Stop the daemon whose discovery file is in ``runtime_dir`` (one a test had the product start)."""
    import json

    info = runtime_dir / "daemon.json"
    if not info.exists():
        return
    os.kill(json.loads(info.read_text())["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while info.exists() and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.fixture(scope="module")
def daemon():
    d = start_daemon("--max-queue", "2")
    yield d
    d.stop()


@pytest.fixture
def frame_rates():
    return [Fraction(24000, 1001), Fraction(30000, 1001), Fraction(25)]


@pytest.fixture(scope="session")
def models():
    from avevents.engine.residency import ResidentModels

    return ResidentModels()


@pytest.fixture
def run_detect(models):
    """In-process detection with the product's pipeline, on the store the test's fixtures set up (the
    session's models follow AVEVENTS_MODEL_STORE as av_store and the like point it elsewhere)."""
    from avevents.core.results import DetectOptions
    from avevents.engine.pipeline import detect
    from avevents.models.store import ModelStore

    def run(path, **options):
        current = ModelStore()
        if models.store.root != current.root:
            models.use_store(current)
        return detect(str(path), DetectOptions(**options), models)

    return run
