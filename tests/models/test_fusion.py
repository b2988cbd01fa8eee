"""The learned modality-attention network: ONNX parity, masking, what training teaches the attention,
and fusion packs in the store."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from avevents.core.errors import IntegrityError, UnknownModel
from avevents.models.fusion import FusionConfig, ModalityAttentionFusion, load_fusion, save_fusion
from avevents.models.fusion_pack import FusionModel, export_fusion_onnx, install_fusion_pack, is_fusion_pack
from avevents.models.fusion_training import TrainOptions, train_fusion
from avevents.models.store import ModelStore

LABELS = ("Dog", "Guitar", "Car")
CONFIG = FusionConfig(LABELS, "efficientat-mn04-as", "mobilenet-v2-imagenet", audio_dim=24, video_dim=16, hidden=32)


def synthetic_segments(n: int, seed: int):
    """Segments whose class shows in both modalities (a direction per class and modality, plus noise);
    a third are background. Returns audio, video, present, multi-hot targets, class index (-1 = none)."""
    rng = np.random.default_rng(seed)
    basis = np.random.default_rng(123)  # the same class directions for every split
    audio_dirs = basis.normal(0, 1, (len(LABELS) + 1, CONFIG.audio_dim))  # last row: background
    video_dirs = basis.normal(0, 1, (len(LABELS) + 1, CONFIG.video_dim))
    cls = rng.integers(-1, len(LABELS), n)
    audio = audio_dirs[cls] * 2 + rng.normal(0, 0.7, (n, CONFIG.audio_dim))
    video = video_dirs[cls] * 2 + rng.normal(0, 0.7, (n, CONFIG.video_dim))
    targets = np.zeros((n, len(LABELS)), np.float32)
    targets[cls >= 0, cls[cls >= 0]] = 1
    return audio.astype(np.float32), video.astype(np.float32), np.ones((n, 2), np.float32), targets, cls


@pytest.fixture(scope="module")
def trained():
    audio, video, present, targets, _ = synthetic_segments(1200, seed=1)
    return train_fusion(CONFIG, audio, video, present, targets, TrainOptions(steps=300))


def test_onnx_export_matches_torch_on_random_and_masked_input(tmp_path):
    model = ModalityAttentionFusion(CONFIG).eval()
    save_fusion(model, tmp_path / "pack")
    store = ModelStore(tmp_path / "store")
    pack = install_fusion_pack(store, "mine", load_fusion(tmp_path / "pack"))
    session = ort.InferenceSession(str(export_fusion_onnx(pack)), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for batch, segments in ((1, 1), (2, 37), (1, 500)):
        audio = rng.normal(0, 1, (batch, segments, CONFIG.audio_dim)).astype(np.float32)
        video = rng.normal(0, 1, (batch, segments, CONFIG.video_dim)).astype(np.float32)
        present = (rng.random((batch, segments, 2)) < 0.8).astype(np.float32)
        present[..., 0] = np.maximum(present[..., 0], 1 - present[..., 1])  # never both missing
        got = session.run(None, {"audio": audio, "video": video, "present": present})
        with torch.no_grad():
            want = model(torch.from_numpy(audio), torch.from_numpy(video), torch.from_numpy(present))
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w.numpy(), atol=1e-4, rtol=1e-4)


def test_a_missing_modality_gets_exactly_zero_weight():
    model = ModalityAttentionFusion(CONFIG).eval()
    audio, video = torch.randn(1, 5, CONFIG.audio_dim), torch.randn(1, 5, CONFIG.video_dim)
    present = torch.tensor([[[1, 1], [1, 0], [0, 1], [1, 0], [0, 1]]], dtype=torch.float32)
    with torch.no_grad():
        logits, audio_logits, video_logits, weights = model(audio, video, present)
    w = weights[0].numpy()
    assert np.allclose(w.sum(axis=1), 1)
    assert (w[1] == [1, 0]).all() and (w[2] == [0, 1]).all()
    # With the video masked the fused output is the audio head's: the picture's content does not leak in.
    np.testing.assert_allclose(logits[0, 1], audio_logits[0, 1], atol=1e-6)
    np.testing.assert_allclose(logits[0, 2], video_logits[0, 2], atol=1e-6)


def test_training_classifies_and_attention_moves_to_the_intact_modality(trained):
    audio, video, present, _, cls = synthetic_segments(400, seed=2)
    background = synthetic_segments(400, seed=3)
    bg = background[4] == -1
    events = cls >= 0

    def run(a, v, p):
        with torch.no_grad():
            out = trained(*(torch.from_numpy(x)[:, None] for x in (a, v, p)))
        return [x[:, 0].numpy() for x in out]

    def accuracy(logits):
        scores = 1 / (1 + np.exp(-logits))
        predicted = np.where(scores.max(axis=1) > 0.5, scores.argmax(axis=1), -1)
        return float(np.mean(predicted == cls))

    logits, _, _, w_normal = run(audio, video, present)
    assert accuracy(logits) > 0.95
    # "Muted": each audio embedding replaced by a background segment's; "blurred": the same for video.
    muted = audio.copy()
    pick = np.arange(events.sum()) % bg.sum()
    muted[events] = background[0][bg][pick]
    logits_m, _, _, w_muted = run(muted, video, present)
    blurred = video.copy()
    blurred[events] = background[1][bg][pick]
    logits_b, _, _, w_blurred = run(audio, blurred, present)
    assert w_muted[events, 1].mean() > max(w_normal[events, 1].mean(), 0.7)
    assert w_blurred[events, 0].mean() > max(w_normal[events, 0].mean(), 0.7)
    assert accuracy(logits_m) > 0.85 and accuracy(logits_b) > 0.85  # still found from the intact modality
    # Masked (file without audio): the picture alone still classifies.
    logits_v, _, _, w_v = run(audio, video, np.tile([0, 1], (len(cls), 1)).astype(np.float32))
    assert (w_v[:, 1] == 1).all() and accuracy(logits_v) > 0.9
    # The single-modality heads say what each modality supports: audio confidence drops when muted.
    _, audio_logits_m, _, _ = run(muted, video, present)
    _, audio_logits, _, _ = run(audio, video, present)
    hit = (np.arange(len(cls))[events], cls[events])
    assert (audio_logits[hit] - audio_logits_m[hit]).mean() > 2.0


def test_fusion_pack_in_the_store_runs_on_onnxruntime_like_torch(trained, tmp_path):
    store = ModelStore(tmp_path / "store")
    pack = install_fusion_pack(store, "pets-v1", trained, description="three labels")
    assert is_fusion_pack(store.installed("pets-v1"))
    assert store.local_names() == ["pets-v1"]
    assert ("pets-v1", True) in [(spec.name, p is not None) for spec, p in store.list()]
    audio, video, present, _, _ = synthetic_segments(50, seed=4)
    outs = {b: FusionModel(pack, backend=b).predict(audio, video, present) for b in ("torch", "onnxruntime")}
    for key in ("fused", "audio", "video", "weights"):
        np.testing.assert_allclose(outs["torch"][key], outs["onnxruntime"][key], atol=1e-4)
    with pytest.raises(UnknownModel, match="made on this machine"):
        store.pull("pets-v1")
    with pytest.raises(UnknownModel, match="catalog pack"):
        install_fusion_pack(store, "efficientat-mn04-as", trained)
    with pytest.raises(UnknownModel, match="pack name"):
        install_fusion_pack(store, "../escape", trained)
    assert store.remove("pets-v1")
    assert store.local_names() == []
    with pytest.raises(UnknownModel, match="unknown model pack 'pets-v1'"):
        store.installed("pets-v1")


def test_corrupt_fusion_weights_are_refused_clearly(trained, tmp_path):

    store = ModelStore(tmp_path / "store")
    pack = install_fusion_pack(store, "pets", trained)
    (pack.path / "fusion.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(IntegrityError, match="modified after it was installed"):
        load_fusion(pack.path, pack.spec.file("fusion.pt").sha256)


def test_build_exports_a_fusion_pack_and_says_why_there_is_no_engine(trained, tmp_path, monkeypatch):
    from avevents.models.build import build

    store = ModelStore(tmp_path / "store")
    monkeypatch.setenv("AVEVENTS_MODEL_STORE", str(store.root))
    install_fusion_pack(store, "pets", trained)
    result = build(store, "pets", device="cuda:0")
    assert result.onnx.is_file() and result.onnx.parent == store.pack_dir("pets") / "onnx"
    assert result.engine is None and ("TensorRT" in result.reason or "CUDA" in result.reason), result.reason


@pytest.mark.parametrize("temporal", ["bilstm", "cross"])
def test_temporal_exclusive_pack_exports_and_runs_like_torch(tmp_path, temporal):
    """A BiLSTM (AVE-style) pack: ONNX Runtime equals torch over dynamic batch and segment counts, and its
    scores are a softmax over the classes with the background last (not selectable as a label)."""
    config = FusionConfig(
        ("Dog", "Guitar", "Background"), "efficientat-mn04-as", "mobilenet-v2-imagenet", 24, 16, hidden=32,
        segment_seconds=1.0, temporal=temporal, exclusive=True,
    )  # fmt: skip
    torch.manual_seed(3)
    model = ModalityAttentionFusion(config).eval()
    store = ModelStore(tmp_path / "store")
    pack = install_fusion_pack(store, "ave-like", model)
    assert pack.manifest["labels"] == ["Dog", "Guitar"]
    session = ort.InferenceSession(str(export_fusion_onnx(pack)), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    for batch, segments in ((1, 10), (3, 1), (2, 57)):
        feeds = {
            "audio": rng.normal(0, 1, (batch, segments, 24)).astype(np.float32),
            "video": rng.normal(0, 1, (batch, segments, 16)).astype(np.float32),
            "present": np.ones((batch, segments, 2), np.float32),
        }
        got = session.run(None, feeds)
        with torch.no_grad():
            want = model(*(torch.from_numpy(feeds[k]) for k in ("audio", "video", "present")))
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w.numpy(), atol=1e-4, rtol=1e-4)
    out = FusionModel(pack, backend="onnxruntime").predict(feeds["audio"][0], feeds["video"][0], feeds["present"][0])
    np.testing.assert_allclose(out["fused"].sum(axis=1), 1.0, atol=1e-6)
    maps = model.cross_maps(*(torch.from_numpy(feeds[k]) for k in ("audio", "video", "present")))
    if temporal == "cross":  # each audio segment's attention over the video segments sums to 1
        np.testing.assert_allclose(maps[0].sum(-1).detach().numpy(), 1.0, atol=1e-5)
    else:
        assert maps is None
