"""Fit the modality-attention fusion network on per-segment embeddings (frozen encoders).

The attention learns when to trust each modality only if training shows it damaged modalities, so
samples are augmented as the seeds do: a modality dropped (masked, as when a file has no audio) or
replaced by background embeddings (as when the sound is muted or the picture blurred), the labels kept.
Besides the fused loss, each single-modality head is trained on its intact segments, so the audio and
video confidences mean "this modality alone supports the label". ``train_fusion`` is the few-shot head
training (segments on their own, labels that can co-occur); ``training.loop`` trains whole sequences.
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
    drop_probability: float = 0.15  # per modality and sample: masked out
    replace_probability: float = 0.25  # per modality and sample: background embeddings instead
    single_modality_weight: float = 0.5
    seed: int = 0


def augment(
    audio: torch.Tensor,
    video: torch.Tensor,
    present: torch.Tensor,
    rng: np.random.Generator,
    options: TrainOptions,
    background: tuple[torch.Tensor, torch.Tensor],
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Damaged copies of a batch [B, T, ...]: (audio, video, present, intact [B, T, 2]). ``background`` is a
    pool of (audio [K, Da], video [K, Dv]) segment embeddings with no event."""
    audio, video, present = audio.clone(), video.clone(), present.clone()
    intact = present.clone()
    batch, length = present.shape[:2]
    for m, x, pool in ((0, audio, background[0]), (1, video, background[1])):
        drop = torch.as_tensor(rng.random(batch) < options.drop_probability, device=present.device)
        other_there = present[:, :, 1 - m].amax(dim=1) > 0
        drop &= other_there  # never both missing: a sample with nothing to see teaches nothing
        present[drop, :, m] = 0
        if len(pool):
            chance = torch.as_tensor(rng.random(batch) < options.replace_probability, device=present.device)
            swap = chance & (present[:, :, m].amax(1) > 0)
            count = int(swap.sum())
            if count:
                x[swap] = pool[torch.as_tensor(rng.integers(0, len(pool), (count, length)), device=pool.device)]
                intact[swap, :, m] = 0
        intact[:, :, m] *= present[:, :, m]
    return audio, video, present, intact


def single_modality_loss(loss_fn, audio_logits, video_logits, target, intact: torch.Tensor) -> torch.Tensor:
    """Each modality's head on the segments where that modality is intact (``loss_fn`` unreduced, [B, T])."""
    total = audio_logits.new_zeros(())
    for m, branch in ((0, audio_logits), (1, video_logits)):
        mask = intact[:, :, m]
        total = total + (loss_fn(branch, target) * mask).sum() / (mask.sum() + 1e-6)
    return total


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
    pool = (a[background], v[background])
    optimiser = torch.optim.AdamW(model.parameters(), options.learning_rate, weight_decay=options.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, options.steps)
    bce = nn.BCEWithLogitsLoss(reduction="none")

    def per_segment(logits, target):
        return bce(logits, target).mean(dim=-1)

    model.train()
    loss = torch.zeros(())
    for step in range(options.steps):
        idx = torch.as_tensor(rng.integers(0, len(a), min(options.batch_size, len(a))))
        xa, xv, xp, intact = augment(a[idx, None], v[idx, None], p[idx, None], rng, options, pool)
        logits, audio_logits, video_logits, _ = model(xa, xv, xp)
        target = y[idx][:, None]
        loss = per_segment(logits, target).mean() + options.single_modality_weight * single_modality_loss(
            per_segment, audio_logits, video_logits, target, intact
        )
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if progress is not None:
            progress(step, loss.item())
    log.info("fusion trained: %d steps, final loss %.4f", options.steps, loss.item())
    return model.eval()
