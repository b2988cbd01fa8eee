"""The packs avevents knows how to fetch: files, official homes, checksums, licences, input specs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PackFile:
    name: str
    url: str
    sha256: str | None  # None: not published; the first download's hash is recorded and reported
    size: int | None = None


@dataclass(frozen=True)
class PackSpec:
    name: str
    version: str
    task: str
    description: str
    licence: str
    source: str
    files: tuple[PackFile, ...]
    input_spec: dict = field(default_factory=dict)

    def file(self, name: str) -> PackFile:
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(name)


# The task of packs trained on this machine (local packs) that hold a modality-attention fusion network.
FUSION_TASK = "audio-visual event fusion (modality attention)"


def is_fusion_pack(pack) -> bool:
    """``pack``: an installed pack (or None)."""
    return pack is not None and pack.manifest.get("task") == FUSION_TASK


# Packs holding an EfficientAT tagger, and the checkpoint configuration each uses.
TAGGER_PACKS = {"efficientat-mn04-as": "mn04_as", "efficientat-mn10-as": "mn10_as"}

AUDIOSET_LABELS = PackFile(
    "class_labels_indices.csv",
    "http://storage.googleapis.com/us_audioset/youtube_corpus/v1/csv/class_labels_indices.csv",
    "cdd1049833c4b86127c2773ac0d14a2754b6a6d0d1798002ed5c66e699708429",
    14675,
)
EFFICIENTAT_RELEASE = "https://github.com/fschmid56/EfficientAT/releases/download/v0.0.1/"
TAGGER_INPUT = {
    "sample_rate": 32000,
    "mel_bins": 128,
    "frames_per_second": 100,
    "window_seconds": 2.0,
    "hop_seconds": 0.5,
}

IMAGENET_LABELS = PackFile(
    "imagenet_labels.txt",
    "https://github.com/google-coral/test_data/raw/master/imagenet_labels.txt",
    "b8aaeb5630c62626a7d124a05c0e14230a7ffdd2136a31d0190a4fb71c1d82f1",
    21686,
)
# Packs holding an audio encoder other than the tagger (embeddings only, for trained fusion packs).
WAV2VEC2_PACKS = ("wav2vec2-base",)
HF_WAV2VEC2 = "https://huggingface.co/facebook/wav2vec2-base/resolve/main/"

# Packs holding a frame encoder (ImageNet classifier with an embedding), in order of preference.
VISION_PACKS = ("mobilenet-v2-imagenet", "resnet18-imagenet")

PACKS: dict[str, PackSpec] = {
    "efficientat-mn04-as": PackSpec(
        name="efficientat-mn04-as",
        version="0.0.1",
        task="audio tagging (527 AudioSet labels)",
        description="EfficientAT mn04, MobileNetV3 width 0.4, mAP 0.432, 4 MB",
        licence="MIT (weights); AudioSet ontology CC BY 4.0 (labels)",
        source="https://github.com/fschmid56/EfficientAT (release v0.0.1)",
        files=(
            PackFile(
                "mn04_as_mAP_432.pt",
                EFFICIENTAT_RELEASE + "mn04_as_mAP_432.pt",
                "899a8c6217063f6941793102a2780b3dd788ab11fce468d9cf5f0577c453321c",
                4066513,
            ),
            AUDIOSET_LABELS,
        ),
        input_spec=TAGGER_INPUT,
    ),
    "efficientat-mn10-as": PackSpec(
        name="efficientat-mn10-as",
        version="0.0.1",
        task="audio tagging (527 AudioSet labels)",
        description="EfficientAT mn10, MobileNetV3 width 1.0, mAP 0.471, 18 MB",
        licence="MIT (weights); AudioSet ontology CC BY 4.0 (labels)",
        source="https://github.com/fschmid56/EfficientAT (release v0.0.1)",
        files=(PackFile("mn10_as_mAP_471.pt", EFFICIENTAT_RELEASE + "mn10_as_mAP_471.pt", None), AUDIOSET_LABELS),
        input_spec=TAGGER_INPUT,
    ),
    "mobilenet-v2-imagenet": PackSpec(
        name="mobilenet-v2-imagenet",
        version="1.0_224_quant",
        task="image classification (1001 ImageNet labels) and frame embeddings",
        description="MobileNetV2 1.0 224, quantized TFLite (dequantized to float on load), 3.6 MB",
        licence="Apache-2.0",
        source="TensorFlow hosted models (also google-coral/test_data)",
        files=(
            PackFile(
                "mobilenet_v2_1.0_224_quant.tflite",
                "https://github.com/google-coral/test_data/raw/master/mobilenet_v2_1.0_224_quant.tflite",
                "7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776",
                3610798,
            ),
            IMAGENET_LABELS,
        ),
        input_spec={"image_size": 224, "frames_per_second": 4.0},
    ),
    "wav2vec2-base": PackSpec(
        name="wav2vec2-base",
        version="facebook-base",
        task="audio embeddings (self-supervised speech model, 768-d every 20 ms)",
        description="Wav2Vec2 base (Baevski et al. 2020) as an audio encoder for trained packs; needs the "
        "wav2vec2 extra (transformers), 380 MB",
        licence="Apache-2.0",
        source="https://huggingface.co/facebook/wav2vec2-base",
        # Hugging Face lists the files' hashes only on its site: the first download's are recorded.
        files=(
            PackFile("config.json", HF_WAV2VEC2 + "config.json", None),
            PackFile("pytorch_model.bin", HF_WAV2VEC2 + "pytorch_model.bin", None),
        ),
        input_spec={"sample_rate": 16000, "frames_per_second": 50},
    ),
    "resnet18-imagenet": PackSpec(
        name="resnet18-imagenet",
        version="torchvision-IMAGENET1K_V1",
        task="image classification (1000 ImageNet labels) and frame embeddings",
        description="ResNet18 from torchvision, 512-d embedding, 45 MB",
        licence="BSD-3-Clause (torchvision)",
        source="https://download.pytorch.org/models/ (torchvision)",
        # torchvision publishes only the first 8 hex digits of the sha256 (in the file name: f37072fd).
        files=(
            PackFile("resnet18-f37072fd.pth", "https://download.pytorch.org/models/resnet18-f37072fd.pth", None),
            IMAGENET_LABELS,  # line 0 is "background"; ResNet18's 1000 outputs are lines 1..1000
        ),
        input_spec={"image_size": 224, "frames_per_second": 4.0},
    ),
}
