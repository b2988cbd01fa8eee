"""The training loop for whole sequences (AVE videos: 10 one-second segments each): multi-task loss
(segment classification + event start/end regression, CE + 0.3 x L1, as in the seeds), Adam with a step
learning-rate schedule, early stopping on validation segment accuracy, the best checkpoint kept, and a
checkpoint every epoch so an interrupted run resumes where it stopped.

Checkpoints hold only tensors and plain values (dicts, lists, numbers, strings) and are read back with
``torch.load(weights_only=True)``: a ``last.pt`` is a file in a work folder anyone may have handed over,
and unpickling anything else could run code. A file that needs more is refused, never loaded."""

from __future__ import annotations

import json
import logging
import pickle
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from avevents.core.errors import InvalidRequest

from ..fusion import FusionConfig, ModalityAttentionFusion
from ..fusion_training import TrainOptions, augment, single_modality_loss

log = logging.getLogger(__name__)
LAST, BEST = "last.pt", "best.pt"
RESUME_KEYS = ("model", "optimiser", "schedule", "history", "best", "epoch")
# What a checkpoint may hold: what weights_only=True unpickles (OrderedDict and tuple are dict and list).
PLAIN = (str, int, float, bool, type(None), torch.Tensor)


@dataclass
class SequenceData:
    audio: np.ndarray  # [N, T, Da]
    video: np.ndarray  # [N, T, Dv]
    present: np.ndarray  # [N, T, 2]
    labels: np.ndarray  # [N, T] class index (the last class is the background)
    bounds: np.ndarray  # [N, 2] event start and end as fractions of T (0, 0 when there is none)

    def __len__(self) -> int:
        return len(self.labels)

    def tensors(self):
        return (
            torch.as_tensor(self.audio, dtype=torch.float32),
            torch.as_tensor(self.video, dtype=torch.float32),
            torch.as_tensor(self.present, dtype=torch.float32),
            torch.as_tensor(self.labels, dtype=torch.long),
            torch.as_tensor(self.bounds, dtype=torch.float32),
        )


@dataclass(frozen=True)
class FitOptions:
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    lr_step_epochs: int = 15  # the learning rate halves every this many epochs
    patience: int = 10  # epochs without a better validation accuracy before stopping
    bounds_weight: float = 0.3
    augmentation: TrainOptions = field(default_factory=TrainOptions)
    seed: int = 0
    device: str = "cpu"  # cuda:0 on a GPU machine


@dataclass
class FitResult:
    model: ModalityAttentionFusion
    history: list[dict]
    best_epoch: int
    best_accuracy: float


def segment_accuracy(model: ModalityAttentionFusion, data: SequenceData, device=None) -> float:
    a, v, p, y, _ = (t.to(device) if device is not None else t for t in data.tensors())
    model.eval()
    with torch.no_grad():
        logits, *_ = model(a, v, p)
    return float((logits.argmax(-1) == y).float().mean())


def fit(
    config: FusionConfig,
    train: SequenceData,
    val: SequenceData | None = None,
    options: FitOptions | None = None,
    work_dir: Path | None = None,
    resume: bool = False,
    progress: Callable[[dict], None] | None = None,
) -> FitResult:
    """Train a network for ``config`` (exclusive labels) on ``train``; early stopping on ``val`` (or on
    ``train`` when there is none). With ``work_dir``, checkpoints go there and ``resume`` continues."""
    options = options or FitOptions()
    torch.manual_seed(options.seed)
    rng = np.random.default_rng(options.seed)
    model = ModalityAttentionFusion(config)
    optimiser = torch.optim.Adam(model.parameters(), options.learning_rate, weight_decay=options.weight_decay)
    schedule = torch.optim.lr_scheduler.StepLR(optimiser, options.lr_step_epochs, gamma=0.5)
    history: list[dict] = []
    best = {"accuracy": -1.0, "epoch": -1, "state": None}
    start_epoch = 0
    if resume and work_dir is not None and (work_dir / LAST).is_file():
        saved = read_checkpoint(work_dir / LAST)
        _restore(work_dir / LAST, saved, model, optimiser, schedule)
        history, best, start_epoch = saved["history"], saved["best"], saved["epoch"] + 1
        rng = np.random.default_rng(options.seed + start_epoch)
        log.info("resuming at epoch %d (best %.3f at %d)", start_epoch, best["accuracy"], best["epoch"])
    device = torch.device(options.device)
    model.to(device)
    _optimiser_to(optimiser, device)
    a, v, p, y, b = (t.to(device) for t in train.tensors())
    background = y == len(config.labels) - 1
    pool = (a[background], v[background])
    ce = nn.CrossEntropyLoss(reduction="none")

    def per_segment(logits, target):
        return ce(logits.reshape(-1, logits.shape[-1]), target.reshape(-1)).reshape(target.shape)

    has_event = (b[:, 1] > b[:, 0]).float()
    for epoch in range(start_epoch, options.epochs):
        model.train()
        order = torch.as_tensor(rng.permutation(len(train)))
        losses = []
        for i in range(0, len(order), options.batch_size):
            idx = order[i : i + options.batch_size]
            idx = idx.to(device)
            xa, xv, xp, intact = augment(a[idx], v[idx], p[idx], rng, options.augmentation, pool)
            fused, h_a, h_v, _ = model.encode(xa, xv, xp)
            target = y[idx]
            loss = per_segment(model.classifier(fused), target).mean()
            loss = loss + options.augmentation.single_modality_weight * single_modality_loss(
                per_segment, model.classifier(h_a), model.classifier(h_v), target, intact
            )
            bounds_error = (model.bounds(fused) - b[idx]).abs().sum(dim=1) * has_event[idx]
            loss = loss + options.bounds_weight * bounds_error.sum() / (has_event[idx].sum() + 1e-6)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        schedule.step()
        accuracy = segment_accuracy(model, val if val is not None else train, device)
        record = {"epoch": epoch, "loss": float(np.mean(losses)), "val_accuracy": accuracy}
        history.append(record)
        if accuracy > best["accuracy"]:
            best = {
                "accuracy": accuracy,
                "epoch": epoch,
                "state": {k: t.detach().cpu().clone() for k, t in model.state_dict().items()},
            }
            if work_dir is not None:
                _save(work_dir / BEST, {"model": best["state"], "config": asdict(config), "epoch": epoch})
        if work_dir is not None:
            state = {
                "model": model.state_dict(),
                "optimiser": optimiser.state_dict(),
                "schedule": schedule.state_dict(),
            }
            _save(work_dir / LAST, {**state, "history": history, "best": best, "epoch": epoch})
            (work_dir / "history.json").write_text(json.dumps(history, indent=1))
        if progress is not None:
            progress({**record, "epochs": options.epochs, "best_accuracy": best["accuracy"]})
        if epoch - best["epoch"] >= options.patience:
            log.info("early stop at epoch %d: no better validation accuracy for %d epochs", epoch, options.patience)
            break
    model.cpu()
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    return FitResult(model.eval(), history, best["epoch"], best["accuracy"])


def _optimiser_to(optimiser: torch.optim.Optimizer, device: torch.device) -> None:
    """A resumed optimiser's state follows the model onto ``device``."""
    for state in optimiser.state.values():
        for key, value in state.items():
            if torch.is_tensor(value):
                state[key] = value.to(device)


def read_checkpoint(path: Path) -> dict:
    """A resumable checkpoint written by ``fit``, unpickled with ``weights_only=True``.

    :param path: a ``last.pt``.
    :returns: its payload (the ``RESUME_KEYS``).
    :raises InvalidRequest: (one line) the file holds anything but tensors and plain values (a crafted
        file: nothing of it runs), is damaged, or lacks what a resume needs.
    """
    hint = f"delete {path} to train from the start, or run without --resume"
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise InvalidRequest(
            f"{path} is refused: it holds {_forbidden(exc)}, not only tensors and plain values "
            f"(nothing of it was run); {hint}"
        ) from None
    except (OSError, EOFError, RuntimeError, ValueError) as exc:
        raise InvalidRequest(f"{path} is not a readable checkpoint ({_first_line(exc)}); {hint}") from None
    if not isinstance(saved, dict) or any(k not in saved for k in RESUME_KEYS):
        raise InvalidRequest(f"{path} is not a training checkpoint (needs {', '.join(RESUME_KEYS)}); {hint}")
    if not isinstance(saved["epoch"], int) or not isinstance(saved["history"], list):
        raise InvalidRequest(f"{path}: its epoch or history is malformed; {hint}")
    return saved


def _forbidden(exc: Exception) -> str:
    """The object a refused pickle wanted to build, from torch's (long) message."""
    found = re.search(r"Unsupported (?:global|operand)[^:]*: (?:GLOBAL )?([^\s]+)", str(exc))
    return f"a call of {found.group(1).rstrip('.')}" if found else "objects of other types"


def _restore(path: Path, saved: dict, model, optimiser, schedule) -> None:
    """Put a checkpoint's states back; a checkpoint of another network is refused in one line."""
    try:
        model.load_state_dict(saved["model"])
        optimiser.load_state_dict(saved["optimiser"])
        schedule.load_state_dict(saved["schedule"])
    except (RuntimeError, ValueError, KeyError, TypeError) as exc:
        raise InvalidRequest(
            f"{path} was written for another network or run ({_first_line(exc)}); train without --resume"
        ) from None


def _first_line(exc: Exception) -> str:
    """An exception in one line (torch's messages run over many)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_plain(value, where: str = "checkpoint") -> None:
    """Refuse, before it is written, anything ``weights_only=True`` would refuse when read back.

    :param value: a payload for ``torch.save``.
    :param where: the path to ``value`` inside the payload (for the message).
    :raises TypeError: ``value`` holds something other than tensors, dicts, lists, tuples and plain values.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str | int):
                raise TypeError(f"{where} has a key of type {type(key).__name__}")
            check_plain(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_plain(item, f"{where}[{i}]")
    elif not isinstance(value, PLAIN) or isinstance(value, np.generic):
        raise TypeError(f"{where} is a {type(value).__name__}: store it as plain numbers, text or JSON beside")


def _save(path: Path, payload: dict) -> None:
    check_plain(payload)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
