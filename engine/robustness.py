"""The seeds' robustness check: perturb one modality of a real clip and watch the modality attention.

``perturb`` writes a copy of a clip with its audio muted or noised, or its picture blurred (real files,
through PyAV); ``modality_attention`` runs the audio-visual detector on a file and returns the mean
attention weights and scores for one label. ``bench/robustness.py`` prints the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from avevents.core.errors import ModelUnavailable, UnknownPack

from .detectors.audiovisual import AudioVisualDetector
from .detectors.fusion import FusionDetector
from .detectors.registry import TAGGER_MODEL, Packs
from .media.probe import probe
from .pipeline import run_detectors
from .residency import ResidentModels

CONDITIONS = ("normal", "muted audio", "blurred video", "audio noise")


def perturb(source: Path, condition: str, target: Path, seed: int = 0) -> Path:
    """A copy of ``source`` (video + audio) with one modality damaged; 'normal' re-encodes it unchanged."""
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {CONDITIONS}")
    rng = np.random.default_rng(seed)
    with av.open(str(source)) as src, av.open(str(target), "w") as dst:
        vin, ain = src.streams.video[0], src.streams.audio[0]
        vout = dst.add_stream("libx264", rate=vin.average_rate or 25)
        vout.width, vout.height, vout.pix_fmt = vin.width, vin.height, "yuv420p"
        aout = dst.add_stream("aac", rate=ain.rate, layout="mono")
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=ain.rate)
        for packet in src.demux(vin, ain):
            for frame in packet.decode():
                if packet.stream is vin:
                    image = frame.to_ndarray(format="rgb24")
                    if condition == "blurred video":
                        image = _blur(image)
                    out = av.VideoFrame.from_ndarray(image, format="rgb24")
                    out.pts, out.time_base = frame.pts, frame.time_base
                    for p in vout.encode(out):
                        dst.mux(p)
                else:
                    for chunk in resampler.resample(frame):
                        samples = chunk.to_ndarray()
                        if condition == "muted audio":
                            samples = np.zeros_like(samples)
                        elif condition == "audio noise":
                            rms = float(np.sqrt(np.mean(samples**2)) or 1e-3)
                            samples = samples + rng.normal(0, rms, samples.shape).astype(np.float32)  # 0 dB SNR
                        out = av.AudioFrame.from_ndarray(
                            np.clip(samples, -1, 1).astype(np.float32), format="fltp", layout="mono"
                        )
                        out.sample_rate, out.pts, out.time_base = chunk.sample_rate, chunk.pts, chunk.time_base
                        for p in aout.encode(out):
                            dst.mux(p)
        for stream in (vout, aout):
            for p in stream.encode():
                dst.mux(p)
    return target


def _blur(image: np.ndarray, cells: int = 6) -> np.ndarray:
    """A picture reduced to a few blocks of colour, then smoothed: no object is recognisable."""
    h, w = image.shape[:2]
    ys = np.linspace(0, h, cells + 1).astype(int)
    xs = np.linspace(0, w, cells + 1).astype(int)
    out = np.empty_like(image)
    for i in range(cells):
        for j in range(cells):
            block = image[ys[i] : ys[i + 1], xs[j] : xs[j + 1]]
            out[ys[i] : ys[i + 1], xs[j] : xs[j + 1]] = block.reshape(-1, 3).mean(axis=0)
    return out


@dataclass
class Attention:
    label: str
    audio_weight: float
    video_weight: float
    audio_score: float
    video_score: float
    fused_score: float


def modality_attention(path: Path, label: str, models: ResidentModels, pack: str = "") -> Attention:
    """Mean attention and scores for ``label`` over the whole file: of the zero-shot audio-visual
    detector, or of the trained fusion pack ``pack`` when one is named."""
    info = probe(path)
    packs = Packs.read(models.store)
    if pack:
        if pack not in packs.fusion:
            raise UnknownPack(f"{pack!r} is not an installed fusion pack (installed: {', '.join(packs.fusion)})")
        detector = FusionDetector.create_for(models, info, [label], (pack,))
    else:
        if packs.vision is None:
            raise ModelUnavailable(
                "the modality attention needs a frame encoder: avevents models pull mobilenet-v2-imagenet"
            )
        detector = AudioVisualDetector.create_for(models, info, [label], (TAGGER_MODEL, packs.vision))
    run_detectors(info, [detector], 0.0, info.duration_seconds)
    track = detector.finish()[0]

    def mean(values: np.ndarray) -> float:
        finite = values[np.isfinite(values)]
        return float(finite.mean()) if len(finite) else float("nan")

    return Attention(
        label,
        mean(track.extras["audio_weight"]),
        mean(track.extras["video_weight"]),
        mean(track.extras["audio"]),
        mean(track.extras["video"]),
        mean(track.scores),
    )
