"""EfficientAT "MN" AudioSet taggers: a MobileNetV3-Large body scaled by a width multiplier.

Our own implementation, written from the MobileNetV3 paper's block table and the facts of the released
checkpoints (module names match them so ``load_state_dict(strict=True)`` takes the file as it is).
Input is a log-mel spectrogram [B, 1, 128, T] from ``avevents.models.mel`` (kept outside the graph);
output is 527 AudioSet logits and the 960*width-d embedding before the head.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

NUM_CLASSES = 527
BN_EPS = 0.001

# MobileNetV3-Large at width 1.0: kernel, expanded, out, squeeze-excitation, hardswish, stride.
BLOCKS: tuple[tuple[int, int, int, bool, bool, int], ...] = (
    (3, 16, 16, False, False, 1),
    (3, 64, 24, False, False, 2),
    (3, 72, 24, False, False, 1),
    (5, 72, 40, True, False, 2),
    (5, 120, 40, True, False, 1),
    (5, 120, 40, True, False, 1),
    (3, 240, 80, False, True, 2),
    (3, 200, 80, False, True, 1),
    (3, 184, 80, False, True, 1),
    (3, 184, 80, False, True, 1),
    (3, 480, 112, True, True, 1),
    (3, 672, 112, True, True, 1),
    (5, 672, 160, True, True, 2),
    (5, 960, 160, True, True, 1),
    (5, 960, 160, True, True, 1),
)
STEM_CHANNELS = 16
LAST_CHANNELS = 960  # features.16 at width 1.0
HEAD_CHANNELS = 1280  # first head layer at width 1.0 is scaled too: 512 at 0.4


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round to a multiple of ``divisor``, never below 90 % of ``value``."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


@dataclass(frozen=True)
class MNConfig:
    name: str
    width: float

    def channels(self, value: int) -> int:
        return make_divisible(value * self.width)


MN04 = MNConfig("mn04_as", 0.4)
MN10 = MNConfig("mn10_as", 1.0)


def _conv_bn(in_ch: int, out_ch: int, kernel: int, stride: int = 1, groups: int = 1, act: nn.Module | None = None):
    layers: list[nn.Module] = [
        nn.Conv2d(in_ch, out_ch, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_ch, eps=BN_EPS),
    ]
    if act is not None:
        layers.append(act)
    return nn.Sequential(*layers)


class ChannelSE(nn.Module):
    """Squeeze-excitation over channels: mean over frequency and time, fc1, ReLU, fc2, sigmoid."""

    def __init__(self, channels: int, squeeze: int):
        super().__init__()
        self.fc1 = nn.Linear(channels, squeeze)
        self.fc2 = nn.Linear(squeeze, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = x.mean(dim=(2, 3))
        scale = torch.sigmoid(self.fc2(torch.relu(self.fc1(scale))))
        return x * scale[:, :, None, None]


class ConcurrentSE(nn.Module):
    """Holds the SE as ``conc_se_layers.0`` (the checkpoints' name for it)."""

    def __init__(self, channels: int, squeeze: int):
        super().__init__()
        self.conc_se_layers = nn.ModuleList([ChannelSE(channels, squeeze)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conc_se_layers[0](x)


class InvertedResidual(nn.Module):
    def __init__(self, in_ch: int, kernel: int, expanded: int, out_ch: int, se: bool, hardswish: bool, stride: int):
        super().__init__()
        act = nn.Hardswish if hardswish else nn.ReLU
        layers: list[nn.Module] = []
        if expanded != in_ch:
            layers.append(_conv_bn(in_ch, expanded, 1, act=act()))
        layers.append(_conv_bn(expanded, expanded, kernel, stride, groups=expanded, act=act()))
        if se:
            layers.append(ConcurrentSE(expanded, make_divisible(expanded / 4)))
        layers.append(_conv_bn(expanded, out_ch, 1))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return x + y if self.residual else y


class MNTagger(nn.Module):
    """EfficientAT MN: log-mel [B, 1, 128, T] -> (logits [B, 527], embedding [B, C])."""

    def __init__(self, config: MNConfig = MN04, num_classes: int = NUM_CLASSES):
        super().__init__()
        self.config = config
        c = config.channels
        layers: list[nn.Module] = [_conv_bn(1, c(STEM_CHANNELS), 3, 2, act=nn.Hardswish())]
        in_ch = c(STEM_CHANNELS)
        for kernel, expanded, out, se, hardswish, stride in BLOCKS:
            layers.append(InvertedResidual(in_ch, kernel, c(expanded), c(out), se, hardswish, stride))
            in_ch = c(out)
        self.embedding_size = c(LAST_CHANNELS)
        layers.append(_conv_bn(in_ch, self.embedding_size, 1, act=nn.Hardswish()))
        self.features = nn.Sequential(*layers)
        hidden = c(HEAD_CHANNELS)
        self.classifier = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(self.embedding_size, hidden),
            nn.Hardswish(),
            nn.Dropout(0.2),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.features(mel)
        embedding = self.classifier[1](self.classifier[0](features))
        logits = embedding
        for layer in self.classifier[2:]:
            logits = layer(logits)
        return logits, embedding


CHECKPOINTS: dict[str, MNConfig] = {"mn04_as": MN04, "mn10_as": MN10}


def load_checkpoint(path, config: MNConfig = MN04, sha256: str | None = None) -> MNTagger:
    """A tagger in eval mode with the checkpoint at ``path`` loaded strictly (every key, every shape).

    :param path: the ``.pt`` file (tensors only: it is unpickled with ``weights_only=True``).
    :param config: the width the checkpoint was trained at.
    :param sha256: when given, the file is verified first: a damaged or substituted file is never loaded.
    :raises ModelUnavailable: the file is missing.
    :raises IntegrityError: its sha256 differs from ``sha256``.
    """
    from pathlib import Path

    from avevents.core.errors import ModelUnavailable

    from .files import verify_file

    path = Path(path)
    if not path.is_file():
        raise ModelUnavailable(f"{config.name}: checkpoint missing at {path}")
    if sha256 is not None:
        verify_file(path, sha256, "fetch it again with `avevents models pull` (the pack that holds it)")
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = MNTagger(config)
    model.load_state_dict(state, strict=True)
    return model.eval()
