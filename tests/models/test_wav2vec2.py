"""Wav2Vec2 as an optional audio encoder for trained packs (``wav2vec2`` extra). The real weights come
from Hugging Face, which this machine cannot reach: a small model in the same format (config.json +
pytorch_model.bin, built by transformers) goes through the same store import and code path."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from avevents.core.errors import ModelUnavailable

transformers = pytest.importorskip("transformers", reason="the Wav2Vec2 encoder needs the wav2vec2 extra")


@pytest.fixture(scope="module")
def wav2vec2_pack(av_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("w2v")
    config = transformers.Wav2Vec2Config(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, conv_dim=(32,) * 7
    )
    import torch

    torch.manual_seed(0)
    config.save_pretrained(folder)  # config.json, and the weights as the Hugging Face repo has them:
    torch.save(transformers.Wav2Vec2Model(config).state_dict(), folder / "pytorch_model.bin")
    return av_store.import_files("wav2vec2-base", [folder / "config.json", folder / "pytorch_model.bin"])


def test_embeddings_every_20_ms_in_chunks(wav2vec2_pack):
    from avevents.models.wav2vec2 import Wav2Vec2Encoder

    encoder = Wav2Vec2Encoder(wav2vec2_pack)
    assert encoder.embedding_dim == 32 and encoder.sample_rate == 16000
    one = encoder.embed(np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32))
    assert one.shape == (49, 32)
    long = encoder.embed(np.random.default_rng(1).normal(0, 0.1, 45 * 16000).astype(np.float32))
    assert abs(len(long) - 45 * 50) <= 3  # three chunks of at most 20 s


def test_a_pack_on_wav2vec2_embeddings_runs_end_to_end(wav2vec2_pack, av_clip, run_detect):
    from avevents.engine.pipeline import extract_features
    from avevents.engine.residency import ResidentModels
    from avevents.models.fusion import FusionConfig
    from avevents.models.fusion_pack import install_fusion_pack
    from avevents.models.fusion_training import TrainOptions, train_fusion

    models = ResidentModels()
    features = extract_features(av_clip.path, models, "wav2vec2-base", "mobilenet-v2-imagenet")
    assert features.audio.shape == (len(features.present), 32) and features.present[:, 0].all()
    assert abs(len(features.present) - av_clip.duration / 0.5) <= 1  # 16 kHz audio on the 0.5 s slots
    targets = np.zeros((len(features.present), 1), np.float32)
    targets[: len(targets) // 2] = 1  # "first half": a label by construction, to have something to learn
    config = FusionConfig(("First half",), "wav2vec2-base", "mobilenet-v2-imagenet", 32, 1280, hidden=16)
    model = train_fusion(config, features.audio, features.video, features.present, targets, TrainOptions(steps=50))
    install_fusion_pack(wav2vec2_pack_store(wav2vec2_pack), "w2v-pack", model)
    result = run_detect(av_clip.path, pack="w2v-pack", labels=("First half",))
    assert ("wav2vec2-base", "facebook-base") in result.models and ("w2v-pack", "1") in result.models


def wav2vec2_pack_store(pack):
    from avevents.models.store import ModelStore

    return ModelStore(pack.path.parent)


def test_without_transformers_the_extra_is_named(wav2vec2_pack, monkeypatch):
    from avevents.models.wav2vec2 import Wav2Vec2Encoder

    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(ModelUnavailable, match=r"avevents\[wav2vec2\]"):
        Wav2Vec2Encoder(wav2vec2_pack)
