"""Input preparation on the runner's device: picture normalisation folded into the torch module (uint8
frames sent as decoded) and the log-mel front end on the tagger's device. Run here on the CPU, where the
folded path is forced on; the results must equal the host-side NumPy preparation's."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from avevents.core.settings import RunnerSettings
from avevents.models import mobilenet_v2, resnet18
from avevents.models.audioset import mel_device
from avevents.models.pixels import FRAMES_INPUT, PixelNorm
from avevents.models.vision import IMAGE_INPUT, VisionEncoder

from ..media_factory import shared_or_skip


@pytest.fixture(scope="module")
def pictures():
    """The six real reference images at 224x224, uint8 RGB."""
    folder = shared_or_skip("media", "images")
    names = sorted(p for p in folder.iterdir() if p.suffix in (".bmp", ".jpg"))[:6]
    return np.stack([np.asarray(Image.open(p).convert("RGB").resize((224, 224), Image.BILINEAR)) for p in names])


def test_the_folded_normalisation_equals_the_host_one():
    frames = np.random.default_rng(0).integers(0, 256, (5, 224, 224, 3), dtype=np.uint8)
    # The host formulas as the model cards give them.
    mobilenet = (frames.astype(np.float32) - 128.0) / 128.0
    imagenet = (frames.astype(np.float32) / 255.0 - np.float32(resnet18.MEAN)) / np.float32(resnet18.STD)
    for norm, want in ((mobilenet_v2.PIXELS, mobilenet), (resnet18.PIXELS, imagenet)):
        host = norm(frames)
        np.testing.assert_allclose(host, want.transpose(0, 3, 1, 2), atol=2e-6)
        with torch.inference_mode():
            folded = norm.module(torch.nn.Identity())(torch.from_numpy(frames)).numpy()
        assert folded.shape == (5, 3, 224, 224) and folded.dtype == np.float32
        np.testing.assert_allclose(folded, host, atol=2e-6)


def test_the_folded_module_follows_the_network_to_half_precision():
    module = PixelNorm((128.0,) * 3, (128.0,) * 3).module(torch.nn.Identity()).half()
    out = module(torch.full((1, 2, 2, 3), 255, dtype=torch.uint8))
    assert out.dtype == torch.float16 and out.shape == (1, 3, 2, 2)
    assert float(out.max()) == pytest.approx(127 / 128, abs=1e-3)


def test_device_preprocessing_defaults_to_cuda_devices_only():
    auto = RunnerSettings()
    assert auto.device_preprocess_on("cuda:0") and not auto.device_preprocess_on("cpu")
    assert not RunnerSettings(device_preprocess=False).device_preprocess_on("cuda:1")
    assert RunnerSettings(device_preprocess=True).device_preprocess_on("cpu")
    # The mel front end goes to a GPU only where torch has CUDA; this machine has none.
    assert mel_device("cpu") == "cpu"
    assert mel_device("cuda:0") == ("cuda:0" if torch.cuda.is_available() else "cpu")


def test_the_frame_encoder_takes_uint8_frames_on_a_torch_runner_that_normalises(av_store, pictures, monkeypatch):
    """Real MobileNetV2 weights on the real images: with the normalisation in the module the runner's input
    is the uint8 frames; probabilities and embeddings equal those of the host-normalised path."""
    pack = av_store.require("mobilenet-v2-imagenet")
    host = VisionEncoder(pack, backend="torch", settings=RunnerSettings(device_preprocess=False))
    assert not host.normalizes_on_device and host.runner.inputs == (IMAGE_INPUT,)
    want = host.encode(pictures)
    host.close()

    folded = VisionEncoder(pack, backend="torch", settings=RunnerSettings(device_preprocess=True))
    assert folded.normalizes_on_device and folded.runner.inputs == (FRAMES_INPUT,)
    got = folded.encode(pictures)
    folded.close()
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)  # float rounding of a different memory layout
    assert (got[0].argmax(axis=1) == want[0].argmax(axis=1)).all()

    # ONNX Runtime's graph takes the normalised input: there the host keeps normalising.
    ort = VisionEncoder(pack, backend="onnxruntime")
    assert not ort.normalizes_on_device
    np.testing.assert_allclose(ort.encode(pictures)[0], want[0], atol=1e-4)
    ort.close()
