"""ResNet18 (ImageNet) as an alternative frame encoder: 1000 class logits and a 512-d pooled embedding.

Our own module with torchvision's parameter names, so torchvision's released state dict loads strictly
without importing torchvision (whose compiled ops must match the installed torch build). Weights come
from torchvision's download site through the model store.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from avevents.core.errors import ModelUnavailable

from .pixels import PixelNorm

IMAGE_SIZE = 224
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
# (pixel / 255 - mean) / std, as one offset and scale in pixel units
PIXELS = PixelNorm(tuple(255.0 * m for m in MEAN), tuple(255.0 * s for s in STD))


class BasicBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.downsample = (
            nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), nn.BatchNorm2d(out_ch))
            if stride != 1 or in_ch != out_ch
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNet18Encoder(nn.Module):
    """Input: [B, 3, 224, 224] normalised with ImageNet mean/std. Output: (logits [B, 1000], embedding [B, 512])."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        widths = (64, 128, 256, 512)
        in_ch = 64
        for i, width in enumerate(widths, start=1):
            stride = 1 if i == 1 else 2
            setattr(self, f"layer{i}", nn.Sequential(BasicBlock(in_ch, width, stride), BasicBlock(width, width, 1)))
            in_ch = width
        self.fc = nn.Linear(512, 1000)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        embedding = x.mean(dim=(2, 3))
        return self.fc(embedding), embedding


def load_resnet18(path: str | Path) -> ResNet18Encoder:
    """The encoder with torchvision's ResNet18 state dict at ``path`` loaded strictly."""
    path = Path(path)
    if not path.is_file():
        raise ModelUnavailable(f"{path}: no such file")
    model = ResNet18Encoder()
    try:
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    except (RuntimeError, ValueError) as exc:
        raise ModelUnavailable(f"{path}: not torchvision ResNet18 weights ({exc})") from None
    return model.eval()


def preprocess(frames: np.ndarray) -> np.ndarray:
    """uint8 RGB frames [B, 224, 224, 3] -> float input [B, 3, 224, 224] normalised as torchvision trains."""
    return PIXELS(frames)
