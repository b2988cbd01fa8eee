"""Picture normalisation for the frame encoders, one definition run on either side of the copy to the device.

A frame encoder takes float [B, 3, 224, 224], each channel as ``(pixel - offset) / scale``. On the CPU
(ONNX Runtime, TensorRT's host buffers) NumPy does it before the call; on a CUDA torch runner the same
arithmetic is folded into the module (``PixelNorm.module``), so the host sends the uint8 frames as they
come from the decoder: a quarter of the bytes of float32, and no per-pixel work on the host.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .runners.base import InputSpec

FRAMES_INPUT = InputSpec("frames", (None, 224, 224, 3), "uint8")


@dataclass(frozen=True)
class PixelNorm:
    """Per-channel ``(pixel - offset) / scale`` of uint8 RGB frames [B, H, W, 3] -> float32 [B, 3, H, W]."""

    offset: tuple[float, float, float]
    scale: tuple[float, float, float]

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        x = frames.astype(np.float32) - np.asarray(self.offset, np.float32)
        return (x / np.asarray(self.scale, np.float32)).transpose(0, 3, 1, 2).copy()

    def module(self, network: nn.Module) -> nn.Module:
        """``network`` taking uint8 frames [B, H, W, 3] with this normalisation done in front of it."""
        return NormalizedFrames(self, network)


class NormalizedFrames(nn.Module):
    """uint8 NHWC frames -> the normalised NCHW float input -> ``network``, all on the module's device."""

    def __init__(self, norm: PixelNorm, network: nn.Module):
        super().__init__()
        self.network = network
        self.register_buffer("offset", torch.tensor(norm.offset, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(norm.scale, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, frames: torch.Tensor):
        x = frames.permute(0, 3, 1, 2).to(self.offset.dtype)  # in the network's precision (fp16 after .half())
        return self.network((x - self.offset) / self.scale)
