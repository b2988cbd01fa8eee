"""Train and evaluate a fusion pack on an AVE-format dataset: cached per-second embeddings of the frozen
encoders, the sequence training loop, segment accuracy, event scores per class, and the seeds'
robustness table (normal / muted audio / blurred video / audio noise: accuracy and mean attention)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from avevents.core.errors import InvalidRequest

from ..fusion import FusionConfig, ModalityAttentionFusion
from .ave import SEGMENTS, AveDataset
from .cache import video_features
from .loop import FitOptions, FitResult, SequenceData, fit
from .metrics import event_scores, spans

log = logging.getLogger(__name__)
ROBUSTNESS_CONDITIONS = ("normal", "muted audio", "blurred video", "audio noise")


@dataclass
class AveTrainOptions:
    audio_encoder: str = "efficientat-mn04-as"
    video_encoder: str = "mobilenet-v2-imagenet"
    temporal: str = "bilstm"
    hidden: int = 128
    fit: FitOptions = field(default_factory=FitOptions)
    cache_dir: Path = Path("avevents-cache")


def load_split(
    dataset: AveDataset, split: str, models, options: AveTrainOptions, progress: Callable | None = None
) -> tuple[SequenceData, list, list[str]]:
    """(the split's features and labels, its records in order, the video ids not found)."""
    present, missing = dataset.available(split)
    rows = []
    for i, (record, path) in enumerate(present):
        a, v, p = video_features(
            path, models, options.audio_encoder, options.video_encoder, options.cache_dir, 1.0, SEGMENTS
        )
        rows.append((a, v, p, dataset.segment_labels(record), (record.start / SEGMENTS, record.end / SEGMENTS)))
        if progress is not None:
            progress(split, i + 1, len(present))
    if not rows:
        raise InvalidRequest(f"no video of the {split!r} split was found in {dataset.videos}")
    data = SequenceData(*(np.stack(column) for column in zip(*rows)))
    return data, [r for r, _ in present], missing


def train_ave(
    dataset: AveDataset,
    models,
    options: AveTrainOptions,
    work_dir: Path | None = None,
    resume: bool = False,
    progress: Callable | None = None,
) -> tuple[FitResult, FusionConfig]:
    train, _, _ = load_split(dataset, "train", models, options, progress)
    val = load_split(dataset, "val", models, options, progress)[0] if dataset.available("val")[0] else None
    config = FusionConfig(
        labels=dataset.labels,
        audio_encoder=options.audio_encoder,
        video_encoder=options.video_encoder,
        audio_dim=train.audio.shape[-1],
        video_dim=train.video.shape[-1],
        hidden=options.hidden,
        segment_seconds=1.0,
        temporal=options.temporal,
        exclusive=True,
    )
    result = fit(config, train, val, options.fit, work_dir, resume, progress)
    return result, config


@dataclass
class Evaluation:
    segment_accuracy: float
    micro: object
    per_class: dict
    attention: tuple[float, float]  # mean audio / video weight on the event segments


def evaluate(model: ModalityAttentionFusion, data: SequenceData, classes: int) -> Evaluation:
    a, v, p, _, _ = data.tensors()
    model.eval()
    with torch.no_grad():
        logits, _, _, weights = model(a, v, p)
    predicted = logits.argmax(-1).numpy()
    background = classes - 1
    per_class, micro = event_scores(
        [spans(row, background) for row in predicted], [spans(row, background) for row in data.labels], classes
    )
    events = data.labels != background
    w = weights.numpy()[events] if events.any() else weights.numpy().reshape(-1, 2)
    return Evaluation(
        float((predicted == data.labels).mean()), micro, per_class, (float(w[:, 0].mean()), float(w[:, 1].mean()))
    )


def robustness(
    model: ModalityAttentionFusion,
    dataset: AveDataset,
    split: str,
    models,
    options: AveTrainOptions,
    work_dir: Path,
    progress: Callable | None = None,
) -> dict[str, Evaluation]:
    """The split's videos re-encoded under each damage (``engine.robustness.perturb``), evaluated."""
    from avevents.engine.robustness import perturb

    present, _ = dataset.available(split)
    out = {}
    for condition in ROBUSTNESS_CONDITIONS:
        folder = work_dir / condition.replace(" ", "_")
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for record, path in present:
            copy = folder / f"{record.video_id}.mp4"
            if not copy.is_file():
                perturb(path, condition, copy)
            a, v, p = video_features(
                copy, models, options.audio_encoder, options.video_encoder, options.cache_dir, 1.0, SEGMENTS
            )
            rows.append((a, v, p, dataset.segment_labels(record), (record.start / SEGMENTS, record.end / SEGMENTS)))
        data = SequenceData(*(np.stack(column) for column in zip(*rows)))
        out[condition] = evaluate(model, data, len(dataset.labels))
        if progress is not None:
            progress(condition, out[condition])
    return out
