"""Fit the modality-attention fusion network on per-segment embeddings (frozen encoders).

The attention learns when to trust each modality only if training shows it damaged modalities, so
segments are augmented as the seeds do: a modality dropped (masked, as when a file has no audio) or
replaced by the embedding of a background segment (as when the sound is muted or the picture blurred),
the labels kept. Besides the fused loss, each single-modality head is trained on its intact segments,
so the audio and video confidences mean "this modality alone supports the label".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .fusion import FusionConfig, ModalityAttentionFusion

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainOptions:
    steps: int = 400
    batch_size: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    drop_probability: float = 0.15  # per modality and segment: masked out
    replace_probability: float = 0.25  # per modality and segment: a background segment's embedding
    single_modality_weight: float = 0.5
    seed: int = 0


def train_fusion(
    config: FusionConfig,
    audio: np.ndarray,
    video: np.ndarray,
    present: np.ndarray,
    targets: np.ndarray,
    options: TrainOptions | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> ModalityAttentionFusion:
    """A network fitted to segments: audio [N, Da], video [N, Dv], present [N, 2], multi-hot targets [N, C]."""
    options = options or TrainOptions()
    torch.manual_seed(options.seed)
    rng = np.random.default_rng(options.seed)
    model = ModalityAttentionFusion(config)
    a, v = torch.as_tensor(audio, dtype=torch.float32), torch.as_tensor(video, dtype=torch.float32)
    p, y = torch.as_tensor(present, dtype=torch.float32), torch.as_tensor(targets, dtype=torch.float32)
    background = np.flatnonzero(targets.sum(axis=1) == 0)
    optimiser = torch.optim.AdamW(model.parameters(), options.learning_rate, weight_decay=options.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, options.steps)
    bce = nn.BCEWithLogitsLoss(reduction="none")
    model.train()
    for step in range(options.steps):
        idx = rng.integers(0, len(a), min(options.batch_size, len(a)))
        xa, xv, xp = a[idx].clone(), v[idx].clone(), p[idx].clone()
        intact = xp.clone()
        for m, x in ((0, xa), (1, xv)):
            drop = torch.as_tensor(rng.random(len(idx)) < options.drop_probability)
            xp[drop, m] = 0
            # Never both masked: a segment with nothing to see is not a training example.
            xp[(xp.sum(1) == 0), m] = p[idx][(xp.sum(1) == 0), m]
            if len(background):
                swap = torch.as_tensor(rng.random(len(idx)) < options.replace_probability) & (xp[:, m] > 0)
                source = a if m == 0 else v
                x[swap] = source[rng.choice(background, int(swap.sum()))]
                intact[swap, m] = 0
            intact[:, m] *= xp[:, m]
        logits, audio_logits, video_logits, _ = model(xa[:, None], xv[:, None], xp[:, None])
        target = y[idx][:, None]
        loss = bce(logits, target).mean()
        for m, branch in ((0, audio_logits), (1, video_logits)):
            mask = intact[:, m][:, None, None]
            loss = loss + options.single_modality_weight * (bce(branch, target) * mask).sum() / (
                mask.sum() * target.shape[-1] + 1e-6
            )
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if progress is not None:
            progress(step, loss.item())
    log.info("fusion trained: %d steps, final loss %.4f", options.steps, loss.item())
    return model.eval()
