"""A trained fusion pack end to end, with the real encoders: embeddings of one clip teach "Music"
(sound and picture together), the pack goes into the store, and a live daemon finds the music of
another clip (other loops, other words) with both confidences and the attention; a file without
video runs with the picture masked. The frame encoder can also be ResNet18."""

from __future__ import annotations

import os
import statistics
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from avevents.core.results import DetectOptions
from avevents.engine.media.writer import write_media
from avevents.engine.pipeline import extract_features
from avevents.engine.residency import ResidentModels
from avevents.models.fusion import FusionConfig
from avevents.models.fusion_pack import install_fusion_pack
from avevents.models.fusion_training import TrainOptions, train_fusion
from avevents.models.resnet18 import ResNet18Encoder

from ..conftest import start_daemon
from ..media_factory import SHARED, _Soundtrack, pick_words
from .test_cancel_latency import BOUND_S, _cancel_latencies

RATE = 48000
FPS = 10


def _picture(name: str) -> np.ndarray:
    return np.asarray(Image.open(SHARED / "media" / "images" / name).convert("RGB").resize((160, 120)))


def music_clip(path: Path, loops: list[str], seed: int, with_video: bool = True):
    """Sentence, music, sentence, music; the picture shows a sunflower while music plays, a person otherwise."""
    t = _Soundtrack(RATE, 30.0, seed)
    t.sentence(pick_words(4, offset=seed))
    t.cursor += 1.5
    t.music(loops[0], 6.0)
    t.cursor += 1.5
    t.sentence(pick_words(4, offset=seed + 4))
    t.cursor += 1.5
    t.music(loops[1], 5.0)
    audio, clip = t.finish()
    clip.path = path
    frames = None
    if with_video:
        flower, person = _picture("sunflower.bmp"), _picture("grace_hopper.bmp")
        n = int(clip.duration * FPS)
        frames = (flower if any(a <= i / FPS < b for a, b in clip.music) else person for i in range(n))
    write_media(
        path,
        frames=frames,
        frame_rate=FPS,
        audio=audio,
        sample_rate=RATE,
        audio_codec="aac" if with_video else "pcm_s16le",
    )
    return clip


def _targets(features, spans) -> np.ndarray:
    starts = features.start + np.arange(len(features.present)) * features.hop
    mid = starts + features.hop / 2
    return np.array([[float(any(a <= m < b for a, b in spans))] for m in mid], np.float32)


@pytest.fixture(scope="module")
def taught_store(av_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("teach")
    clip = music_clip(folder / "teach.mp4", ["music_chiptune2.flac", "music_house_loop01.flac"], seed=2)
    models = ResidentModels()
    features = extract_features(clip.path, models, "efficientat-mn04-as", "mobilenet-v2-imagenet")
    assert features.audio.shape[1] == 384 and features.video.shape[1] == 1280  # mn04 (960 x 0.4), MobileNetV2
    config = FusionConfig(("Music",), "efficientat-mn04-as", "mobilenet-v2-imagenet", 384, 1280, hidden=64)
    model = train_fusion(
        config, features.audio, features.video, features.present, _targets(features, clip.music), TrainOptions(300)
    )
    install_fusion_pack(av_store, "taught-music", model, description="Music, taught from one clip")
    return av_store


def test_a_trained_pack_finds_music_in_another_clip_through_the_daemon(taught_store, tmp_path):
    clip = music_clip(tmp_path / "new.mp4", ["music_909beat01.flac", "music_jungle01.flac"], seed=7)
    daemon = start_daemon()  # started after the pack was installed, with the same store
    try:
        with daemon.client() as client:
            assert "taught-music" in {m.name for m in client.list_models().models}
            result = client.detect(clip.path, DetectOptions(pack="taught-music", labels=("music",)))
    finally:
        daemon.stop()
    assert result.pack == "taught-music"
    found = [(e.start_seconds, e.end_seconds) for e in result.events if e.label == "Music"]
    assert len(found) == len(clip.music), (found, clip.music)
    for (a, b), (x, y) in zip(clip.music, found):
        assert abs(a - x) <= 1.0 and abs(b - y) <= 1.0, (found, clip.music)
    for e in result.events:
        assert e.audio_confidence is not None and e.video_confidence is not None
        assert e.audio_weight + e.video_weight == pytest.approx(1, abs=1e-3)
    assert ("taught-music", "1") in result.models and ("mobilenet-v2-imagenet", "1.0_224_quant") in result.models


def test_without_video_the_picture_is_masked(taught_store, run_detect, tmp_path):
    clip = music_clip(tmp_path / "new.wav", ["music_909beat01.flac", "music_jungle01.flac"], 7, with_video=False)
    result = run_detect(clip.path, pack="taught-music", labels=("Music", "Speech"))
    music = [e for e in result.events if e.label == "Music"]
    assert music, result.events
    for e in music:
        assert e.video_confidence is None and e.audio_weight == pytest.approx(1) and e.video_weight == 0
    assert any(e.label == "Speech" for e in result.events)  # the built-in labels come along
    with pytest.raises(Exception, match="did you mean 'Music'"):
        run_detect(clip.path, pack="taught-music", labels=("Musik",))


def test_resnet18_serves_as_the_frame_encoder(av_store, tmp_path):
    """With ResNet18 installed (here torchvision-format weights made by the test: the real file needs
    download.pytorch.org) a pack trained on its 512-d embeddings runs through the same path."""
    weights = tmp_path / "resnet18-f37072fd.pth"
    torch.manual_seed(0)
    torch.save(ResNet18Encoder().state_dict(), weights)
    labels = SHARED / "models" / "mobilenet-v2-imagenet" / "imagenet_labels.txt"
    av_store.import_files("resnet18-imagenet", [weights, labels])
    clip = music_clip(tmp_path / "teach.mp4", ["music_chiptune2.flac", "music_house_loop01.flac"], seed=2)
    models = ResidentModels()
    features = extract_features(clip.path, models, "efficientat-mn04-as", "resnet18-imagenet")
    assert features.video.shape[1] == 512 and features.present.all()
    encoder = models.get("resnet18-imagenet")
    assert len(encoder.labels) == 1000 and encoder.labels[0].startswith("tench")
    config = FusionConfig(("Music",), "efficientat-mn04-as", "resnet18-imagenet", 384, 512, hidden=32)
    model = train_fusion(
        config, features.audio, features.video, features.present, _targets(features, clip.music), TrainOptions(100)
    )
    install_fusion_pack(av_store, "music-r18", model)
    old = os.environ.get("AVEVENTS_MODEL_STORE")
    assert old == str(av_store.root)
    from avevents.engine.pipeline import detect

    result = detect(clip.path, DetectOptions(pack="music-r18", labels=("Music",)), models)
    assert ("resnet18-imagenet", "torchvision-IMAGENET1K_V1") in result.models
    assert any(e.label == "Music" and e.video_confidence is not None for e in result.events)
    av_store.remove("music-r18")
    av_store.remove("resnet18-imagenet")


def test_cancel_frees_the_slot_within_a_second_on_a_trained_pack(taught_store, clip_720p):
    """Every pack keeps the promise: a trained fusion pack's analysis stops within a second too."""
    daemon = start_daemon()
    try:
        latencies = _cancel_latencies(daemon, clip_720p, "taught-music", by_job=False, points=(0.05, 0.5))
    finally:
        daemon.stop()
    print(f"cancel latency (taught-music, 720p): {', '.join(f'{s:.2f}' for s in latencies)} s")
    assert statistics.median(latencies) < BOUND_S and max(latencies) < 2 * BOUND_S, latencies
