"""Wav2Vec2 (transformers) as an audio encoder for trained packs: 16 kHz audio -> one embedding every
20 ms, pooled onto the analysis slots. Optional: needs the ``wav2vec2`` extra; the weights are a store
pack pulled from Hugging Face (``avevents models pull wav2vec2-base``)."""

from __future__ import annotations

import logging

import numpy as np
import torch

from avevents.core.errors import ModelUnavailable

from .store import InstalledPack

log = logging.getLogger(__name__)
SAMPLE_RATE = 16000
CHUNK_SECONDS = 20.0  # audio is encoded in chunks this long (memory stays flat on long files)


class Wav2Vec2Encoder:
    """``embed(samples)`` -> [frames, hidden] hidden states of the last layer, 50 frames a second."""

    sample_rate = SAMPLE_RATE

    def __init__(self, pack: InstalledPack, device: str = ""):
        try:
            from transformers import Wav2Vec2Model
        except ImportError:
            raise ModelUnavailable(
                "the Wav2Vec2 encoder needs transformers: pip install 'avevents[wav2vec2]'"
            ) from None
        self.pack = pack
        self.name, self.version = pack.spec.name, pack.spec.version
        self.device = device or "cpu"
        # transformers reads the folder itself: check every file the manifest lists (config.json, the
        # weights) against its recorded sha256 first, as every other loader does through pack.file.
        names = [entry["name"] for entry in pack.manifest["files"]]
        for name in names:
            pack.file(name)
        # And load only the weights so checked: left to choose, transformers prefers a model.safetensors
        # that no manifest lists (dropped into the folder) over the pack's pytorch_model.bin.
        safetensors = any(name.endswith(".safetensors") for name in names)
        try:
            model = Wav2Vec2Model.from_pretrained(str(pack.path), use_safetensors=safetensors)
            self.model = model.eval().to(self.device)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelUnavailable(f"{pack.path}: not a Wav2Vec2 model ({exc})") from None
        self.embedding_dim = int(self.model.config.hidden_size)
        log.info("%s ready on %s (%d-d)", self.name, self.device, self.embedding_dim)

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """Hidden states [frames, D] of mono 16 kHz ``samples`` (each chunk normalised to zero mean and unit
        variance, as the model was trained)."""
        step = int(CHUNK_SECONDS * SAMPLE_RATE)
        out = []
        with torch.no_grad():
            for i in range(0, len(samples), step):
                chunk = samples[i : i + step].astype(np.float32)
                if len(chunk) < 400:  # shorter than the convolutional front end's receptive field
                    break
                chunk = (chunk - chunk.mean()) / (chunk.std() + 1e-7)
                hidden = self.model(torch.from_numpy(chunk)[None].to(self.device)).last_hidden_state[0]
                out.append(hidden.float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.embedding_dim), np.float32)

    def close(self) -> None:
        self.model = None
