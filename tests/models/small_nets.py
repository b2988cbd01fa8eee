"""A small network shaped like the encoders, for the runner tests: [B, C, H, W] -> (logits [B, 5],
embedding [B, 8]), its weights fixed by ``seed``."""

from __future__ import annotations

import torch


class TwoOutputNet(torch.nn.Module):
    def __init__(self, channels: int, seed: int):
        super().__init__()
        torch.manual_seed(seed)
        self.conv = torch.nn.Conv2d(channels, 8, 3, padding=1)
        self.head = torch.nn.Linear(8, 5)

    def forward(self, x):
        embedding = torch.relu(self.conv(x)).mean(dim=(2, 3))
        return self.head(embedding), embedding
