"""The float MobileNetV2 port of the quantized TFLite file: reference top-1 on all six images (FACTS.md),
ONNX Runtime parity, strict loading."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch
from PIL import Image

from avevents.core.errors import ModelUnavailable
from avevents.models.export import export_onnx
from avevents.models.mobilenet_v2 import IMAGE_SIZE, load_tflite, preprocess

from ..media_factory import shared_or_skip

REFERENCE_TOP1 = {
    "bird.bmp": "chickadee",
    "cat.bmp": "Egyptian cat",
    "dragonfly.bmp": "dragonfly",
    "grace_hopper.bmp": "military uniform",
    "parrot.jpg": "macaw",
    "sunflower.bmp": "daisy",
}


@pytest.fixture(scope="module")
def model():
    return load_tflite(shared_or_skip("models", "mobilenet-v2-imagenet", "mobilenet_v2_1.0_224_quant.tflite"))


@pytest.fixture(scope="module")
def images():
    folder = shared_or_skip("media", "images")
    return {
        name: np.asarray(Image.open(folder / name).convert("RGB").resize((IMAGE_SIZE, IMAGE_SIZE), Image.BILINEAR))
        for name in REFERENCE_TOP1
    }


def test_reference_top1_on_all_six_images(model, images):
    labels = shared_or_skip("models", "mobilenet-v2-imagenet", "imagenet_labels.txt").read_text().splitlines()
    batch = np.stack([images[name] for name in REFERENCE_TOP1])  # batched, as the daemon runs it
    with torch.no_grad():
        logits, embedding = model(torch.from_numpy(preprocess(batch)))
    top1 = [labels[i].split(",")[0] for i in logits.argmax(dim=1).tolist()]
    assert top1 == list(REFERENCE_TOP1.values())
    assert embedding.shape == (6, 1280)
    assert torch.softmax(logits, 1).max(dim=1).values.min() > 0.7  # confident, as the reference scores are


def test_onnx_export_matches_pytorch(model, images, tmp_path):
    path = export_onnx(
        model,
        torch.zeros(1, 3, IMAGE_SIZE, IMAGE_SIZE),
        tmp_path / "mnv2.onnx",
        "image",
        ["logits", "embedding"],
        {"image": {0: "batch"}, "logits": {0: "batch"}, "embedding": {0: "batch"}},
    )
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    real = preprocess(np.stack(list(images.values())))
    noise = np.random.default_rng(0).uniform(-1, 1, (2, 3, IMAGE_SIZE, IMAGE_SIZE)).astype(np.float32)
    for batch in (real, noise):
        with torch.no_grad():
            logits, embedding = model(torch.from_numpy(batch))
        onnx_logits, onnx_embedding = session.run(None, {"image": batch})
        np.testing.assert_allclose(onnx_logits, logits.numpy(), atol=1e-3, rtol=1e-4)
        np.testing.assert_allclose(onnx_embedding, embedding.numpy(), atol=1e-4, rtol=1e-4)


def test_other_files_do_not_load(tmp_path):
    mn04 = shared_or_skip("models", "efficientat-mn04-as", "mn04_as_mAP_432.pt")
    with pytest.raises(ModelUnavailable, match="not a MobileNetV2 TFLite model"):
        load_tflite(mn04)
    with pytest.raises(ModelUnavailable, match="no such file"):
        load_tflite(tmp_path / "missing.tflite")


# torchvision's ResNet18 state dict layout (names and shapes), as its released file has it.
def _torchvision_resnet18_keys() -> dict[str, tuple[int, ...]]:
    keys = {"conv1.weight": (64, 3, 7, 7), "fc.weight": (1000, 512), "fc.bias": (1000,)}

    def bn(prefix, n):
        for suffix in ("weight", "bias", "running_mean", "running_var"):
            keys[f"{prefix}.{suffix}"] = (n,)
        keys[f"{prefix}.num_batches_tracked"] = ()

    bn("bn1", 64)
    in_ch = 64
    for layer, width in enumerate((64, 128, 256, 512), start=1):
        for block in (0, 1):
            p = f"layer{layer}.{block}"
            keys[f"{p}.conv1.weight"] = (width, in_ch if block == 0 else width, 3, 3)
            bn(f"{p}.bn1", width)
            keys[f"{p}.conv2.weight"] = (width, width, 3, 3)
            bn(f"{p}.bn2", width)
            if block == 0 and layer > 1:
                keys[f"{p}.downsample.0.weight"] = (width, in_ch, 1, 1)
                bn(f"{p}.downsample.1", width)
        in_ch = width
    return keys


def test_resnet18_alternative_loads_torchvision_weights_strictly(tmp_path):
    """Its real weights are a download (not in shared/): a state dict in torchvision's exact layout
    (122 tensors) loads strictly and gives the same output as the module it came from; others are refused."""
    from avevents.models.resnet18 import ResNet18Encoder, load_resnet18

    reference = ResNet18Encoder().eval()
    state = reference.state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == _torchvision_resnet18_keys()
    torch.save(state, tmp_path / "r18.pth")
    model = load_resnet18(tmp_path / "r18.pth")
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        logits, embedding = model(x)
        torch.testing.assert_close(logits, reference(x)[0])
    assert embedding.shape == (2, 512) and len(state) == 122
    torch.save({"fc.weight": torch.zeros(3, 3)}, tmp_path / "bad.pth")
    with pytest.raises(ModelUnavailable, match="not torchvision ResNet18"):
        load_resnet18(tmp_path / "bad.pth")


def test_resnet18_pack_runs_the_same_on_onnxruntime_and_torch(tmp_path):
    """ResNet18 as an installed frame-encoder pack: ONNX export (dynamic batch) equals torch, and the
    1000 outputs are named by lines 1..1000 of the ImageNet label file."""
    from avevents.models.resnet18 import ResNet18Encoder
    from avevents.models.store import ModelStore
    from avevents.models.vision import VisionEncoder

    labels = shared_or_skip("models", "mobilenet-v2-imagenet", "imagenet_labels.txt")
    torch.manual_seed(1)
    torch.save(ResNet18Encoder().state_dict(), tmp_path / "resnet18-f37072fd.pth")
    pack = ModelStore(tmp_path / "store").import_files(
        "resnet18-imagenet", [tmp_path / "resnet18-f37072fd.pth", labels]
    )
    frames = np.random.default_rng(0).integers(0, 256, (3, 224, 224, 3), dtype=np.uint8)
    outputs = {b: VisionEncoder(pack, backend=b).encode(frames) for b in ("torch", "onnxruntime")}
    for got, want in zip(outputs["onnxruntime"], outputs["torch"]):
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-3)
    encoder = VisionEncoder(pack, backend="onnxruntime")
    assert encoder.labels[0].startswith("tench") and len(encoder.labels) == 1000 and encoder.embedding_dim == 512
    assert "Dog" in encoder.audioset_map and max(max(v) for v in encoder.audioset_map.values()) < 1000
