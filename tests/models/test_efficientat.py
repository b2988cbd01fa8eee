"""The EfficientAT mn04 tagger with the real checkpoint reproduces the reference scores (FACTS.md)."""

from __future__ import annotations

import csv

import numpy as np
import onnxruntime as ort
import pytest
import torch

from avevents.models.efficientat import MN04, MNTagger, load_checkpoint
from avevents.models.export import export_onnx
from avevents.models.mel import LogMel, kaldi_mel_banks

from ..media_factory import load_audio, shared_or_skip

SHA256 = "899a8c6217063f6941793102a2780b3dd788ab11fce468d9cf5f0577c453321c"
REFERENCE = {
    "music.wav": [("Music", 0.598), ("Musical instrument", 0.118), ("Guitar", 0.106)],
    "speech.wav": [("Speech", 0.818), ("Door", 0.373), ("Slam", 0.204)],
    "typing.wav": [("Computer keyboard", 0.891), ("Typing", 0.871), ("Speech", 0.024)],
}


@pytest.fixture(scope="module")
def tagger():
    return load_checkpoint(shared_or_skip("models", "efficientat-mn04-as", "mn04_as_mAP_432.pt"), MN04, SHA256)


@pytest.fixture(scope="module")
def labels():
    path = shared_or_skip("models", "efficientat-mn04-as", "class_labels_indices.csv")
    with open(path) as fh:
        return [row["display_name"] for row in csv.DictReader(fh)]


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_reference_top3_within_0_01(tagger, labels, name):
    audio = load_audio(shared_or_skip("media", "audio", name), 32000)
    with torch.no_grad():
        logits, embedding = tagger(LogMel()(audio))
    scores = torch.sigmoid(logits)[0]
    top = torch.topk(scores, 3)
    got = [(labels[i], float(v)) for v, i in zip(top.values, top.indices)]
    for (want_label, want_score), (label, score) in zip(REFERENCE[name], got):
        assert label == want_label and abs(score - want_score) <= 0.01, (name, got)
    assert embedding.shape == (1, 384)


def test_checkpoint_is_verified_before_loading(tmp_path):
    from avevents.core.errors import ModelUnavailable

    bad = tmp_path / "mn04.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelUnavailable, match="sha256"):
        load_checkpoint(bad, MN04, SHA256)


def test_width_table_matches_the_checkpoint_layout():
    model = MNTagger(MN04)
    assert model.embedding_size == 384
    assert model.classifier[2].out_features == 512
    assert sum(p.numel() for p in model.parameters()) == 983_599


def test_mel_banks_are_kaldi_triangles():
    banks = kaldi_mel_banks()
    assert banks.shape == (128, 513) and banks[:, 512].sum() == 0  # the last bin weighted 0
    # Every band has weight (the lowest are narrower than one 31.25 Hz bin, so their sampled peak is
    # below 1, as in Kaldi); 0 Hz and everything from 15 kHz (bin 480) up get none.
    assert np.all(banks.max(axis=1) > 0.1) and np.all(banks >= 0)
    used = np.flatnonzero(banks.sum(axis=0))
    assert used[0] == 1 and used[-1] == 479


def test_onnx_export_matches_pytorch(tagger, tmp_path):
    """Dynamic batch and time: random log-mels of two lengths and real audio, within 1e-4 on logits."""
    path = export_onnx(
        tagger,
        torch.zeros(1, 1, 128, 200),
        tmp_path / "mn04.onnx",
        "mel",
        ["logits", "embedding"],
        {"mel": {0: "batch", 3: "frames"}, "logits": {0: "batch"}, "embedding": {0: "batch"}},
    )
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    generator = torch.Generator().manual_seed(0)
    inputs = [torch.randn(3, 1, 128, frames, generator=generator) - 1.0 for frames in (100, 457)]
    inputs.append(LogMel()(load_audio(shared_or_skip("media", "audio", "speech.wav"), 32000)))
    for mel in inputs:
        with torch.no_grad():
            logits, embedding = tagger(mel)
        onnx_logits, onnx_embedding = session.run(None, {"mel": mel.numpy()})
        np.testing.assert_allclose(onnx_logits, logits.numpy(), atol=1e-4, rtol=1e-4)
        np.testing.assert_allclose(onnx_embedding, embedding.numpy(), atol=1e-4, rtol=1e-4)
