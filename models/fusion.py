"""The learned modality-attention fusion network (the seeds' model), per analysis segment.

Each modality's embedding is projected to a shared width; a learned score per modality gives the
attention [w_audio, w_video] = softmax([s_a, s_v]); the fused representation w_a h_a + w_v h_v feeds a
classifier over the pack's labels. The same classifier applied to h_a alone and to h_v alone gives the
audio and video confidences (how much each modality on its own supports the label). A missing modality
(no audio stream, no picture) is masked out of the softmax, so its weight is exactly 0.

Inputs are [batch, segments, dim] so one call covers a whole file, with dynamic batch and time axes in the
ONNX export. ``temporal="bilstm"`` adds context from neighbouring segments (a bidirectional LSTM over the
fused sequence, residual). Scores are logits; the activation is applied outside: sigmoid where labels can
co-occur (speech over music), softmax for ``exclusive`` packs (AVE: one of 28 events or background).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from avevents.core.errors import ModelUnavailable

from .files import verify_file

WEIGHTS_FILE = "fusion.pt"
CONFIG_FILE = "fusion.json"
OUTPUTS = ("logits", "audio_logits", "video_logits", "weights")
MASKED = -1.0e4  # score of a missing modality: softmax gives it 0 without NaN from -inf - -inf


@dataclass(frozen=True)
class FusionConfig:
    """What a fusion pack was trained on: its labels, the encoders whose embeddings it reads, sizes."""

    labels: tuple[str, ...]
    audio_encoder: str  # a tagger pack, e.g. efficientat-mn04-as
    video_encoder: str  # a frame encoder pack, e.g. mobilenet-v2-imagenet
    audio_dim: int
    video_dim: int
    hidden: int = 128
    segment_seconds: float = 0.5  # the analysis slots are 0.5 s; AVE-trained packs use 1 s segments
    temporal: str = "none"  # "none": each segment alone; "bilstm": context from the neighbouring segments;
    # "cross": each modality first attends to the other's segments (cross-modal attention), then "bilstm"
    exclusive: bool = False  # one label per segment (softmax, the last label is the background) vs several

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> FusionConfig:
        data = json.loads(text)
        data["labels"] = tuple(data["labels"])
        return cls(**data)


class CrossAttention(nn.Module):
    """Scaled dot-product attention of one sequence's segments over another's ([B, Tq, H] x [B, Tk, H]);
    plain matrix products, so the ONNX export keeps batch and time dynamic (nn.MultiheadAttention's
    TorchScript export fixes them)."""

    def __init__(self, hidden: int):
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(hidden, hidden) for _ in range(3))
        self.scale = hidden**-0.5

    def forward(self, query: torch.Tensor, other: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        weights = torch.softmax(self.query(query) @ self.key(other).transpose(1, 2) * self.scale, dim=-1)
        return weights @ self.value(other), weights


class ModalityAttentionFusion(nn.Module):
    """(audio [B, T, Da], video [B, T, Dv], present [B, T, 2]) -> logits [B, T, C], audio logits,
    video logits, attention weights [B, T, 2]. ``present`` is 1 where a modality exists, 0 where not."""

    def __init__(self, config: FusionConfig):
        super().__init__()
        self.config = config
        hidden = config.hidden
        self.audio_proj = nn.Sequential(nn.LayerNorm(config.audio_dim), nn.Linear(config.audio_dim, hidden), nn.GELU())
        self.video_proj = nn.Sequential(nn.LayerNorm(config.video_dim), nn.Linear(config.video_dim, hidden), nn.GELU())
        self.audio_score = nn.Linear(hidden, 1)
        self.video_score = nn.Linear(hidden, 1)
        self.classifier = nn.Linear(hidden, len(config.labels))
        if config.temporal not in ("none", "bilstm", "cross"):
            raise ValueError(f"temporal must be 'none', 'bilstm' or 'cross', got {config.temporal!r}")
        self.temporal = (
            nn.LSTM(hidden, hidden // 2, batch_first=True, bidirectional=True) if config.temporal != "none" else None
        )
        cross = config.temporal == "cross"
        self.audio_from_video = CrossAttention(hidden) if cross else None
        self.video_from_audio = CrossAttention(hidden) if cross else None
        # Training's second task: where the event starts and ends in the clip (fractions of its length).
        self.bounds_head = nn.Linear(hidden, 2)

    def encode(self, audio: torch.Tensor, video: torch.Tensor, present: torch.Tensor):
        """(fused [B, T, H] with temporal context, h_audio, h_video, attention weights [B, T, 2])."""
        h_a, h_v = self.audio_proj(audio), self.video_proj(video)
        if self.audio_from_video is not None:
            h_a, h_v = self._cross(h_a, h_v, present)[:2]
        scores = torch.cat((self.audio_score(h_a), self.video_score(h_v)), dim=-1)
        scores = torch.where(present > 0.5, scores, torch.full_like(scores, MASKED))
        weights = torch.softmax(scores, dim=-1)
        fused = weights[..., :1] * h_a + weights[..., 1:] * h_v
        if self.temporal is not None:
            context, _ = self.temporal(fused)
            fused = fused + context
        return fused, h_a, h_v, weights

    def _cross(self, h_a: torch.Tensor, h_v: torch.Tensor, present: torch.Tensor):
        """Each modality enriched by what the other shows across the clip (residual); a missing modality
        contributes nothing. Also returns the maps [B, T audio, T video] and [B, T video, T audio]."""
        from_video, map_av = self.audio_from_video(h_a, h_v)
        from_audio, map_va = self.video_from_audio(h_v, h_a)
        h_a = h_a + from_video * present[..., 1:2]
        h_v = h_v + from_audio * present[..., 0:1]
        return h_a, h_v, map_av, map_va

    def cross_maps(self, audio: torch.Tensor, video: torch.Tensor, present: torch.Tensor):
        """The cross-modal attention maps of a ``cross`` model (for the evaluation's pictures)."""
        if self.audio_from_video is None:
            return None
        return self._cross(self.audio_proj(audio), self.video_proj(video), present)[2:]

    def forward(
        self, audio: torch.Tensor, video: torch.Tensor, present: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        fused, h_a, h_v, weights = self.encode(audio, video, present)
        return self.classifier(fused), self.classifier(h_a), self.classifier(h_v), weights

    def bounds(self, fused: torch.Tensor) -> torch.Tensor:
        """[B, 2]: predicted event start and end as fractions of the sequence (training's regression task)."""
        return torch.sigmoid(self.bounds_head(fused.mean(dim=1)))


def save_fusion(model: ModalityAttentionFusion, folder: Path) -> list[Path]:
    """Write the weights and the configuration into ``folder``; returns the two files."""
    folder.mkdir(parents=True, exist_ok=True)
    weights, config = folder / WEIGHTS_FILE, folder / CONFIG_FILE
    torch.save(model.state_dict(), weights)
    config.write_text(model.config.to_json())
    return [weights, config]


def load_fusion(folder: Path, sha256: str | None = None, fix: str = "") -> ModalityAttentionFusion:
    """The network saved in ``folder``, loaded strictly.

    :param folder: a fusion pack folder (or a folder ``save_fusion`` wrote).
    :param sha256: the weights' recorded digest, checked when given (``files.verify_file``: hashed once per
        version of the file in this process, not at every load).
    :param fix: what the user runs to repair modified weights (default: a local pack's remedy).
    :raises IntegrityError: the weights differ from ``sha256``.
    :raises ModelUnavailable: a file is missing, or the weights do not fit their configuration.
    """
    weights, config_path = folder / WEIGHTS_FILE, folder / CONFIG_FILE
    if not weights.is_file() or not config_path.is_file():
        raise ModelUnavailable(f"{folder}: not a fusion pack (needs {WEIGHTS_FILE} and {CONFIG_FILE})")
    if sha256 is not None:
        # Fusion packs are made here by training, so the remedy is to train again or delete the pack.
        name = folder.name
        verify_file(
            weights,
            sha256,
            fix or f"retrain it (`avevents train ... --name {name}`) or delete it with `avevents models remove {name}`",
        )
    try:
        config = FusionConfig.from_json(config_path.read_text())
        model = ModalityAttentionFusion(config)
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True), strict=True)
    except (RuntimeError, ValueError, TypeError, KeyError) as exc:
        raise ModelUnavailable(f"{folder}: the fusion weights do not match their configuration ({exc})") from None
    return model.eval()


def example_inputs(config: FusionConfig, batch: int = 1, segments: int = 8) -> tuple[torch.Tensor, ...]:
    """Inputs of the right shapes (random embeddings, both modalities present)."""
    return (
        torch.randn(batch, segments, config.audio_dim),
        torch.randn(batch, segments, config.video_dim),
        torch.ones(batch, segments, 2),
    )
