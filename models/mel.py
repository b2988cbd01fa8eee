"""The EfficientAT log-mel front end, kept outside the exported network graph.

32 kHz mono -> pre-emphasis -> STFT (n_fft 1024, symmetric Hann of 800 centred, hop 320, reflect-centred)
-> power -> 128 Kaldi-style mel bands (0-15 kHz over the first 512 bins) -> log(x + 1e-5) -> (x + 4.5) / 5.
100 frames per second.
"""

from __future__ import annotations

import contextlib
import math
import threading
from dataclasses import dataclass

import numpy as np
import torch

SAMPLE_RATE = 32000
HOP = 320
FRAMES_PER_SECOND = SAMPLE_RATE // HOP


@dataclass(frozen=True)
class MelSpec:
    sample_rate: int = SAMPLE_RATE
    n_fft: int = 1024
    win_length: int = 800
    hop: int = HOP
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float = 15000.0
    preemphasis: float = 0.97


def _mel(freq: np.ndarray | float) -> np.ndarray | float:
    return 1127.0 * np.log(1.0 + np.asarray(freq) / 700.0)


def kaldi_mel_banks(spec: MelSpec = MelSpec()) -> np.ndarray:
    """[n_mels, n_fft/2 + 1] triangular filters in the mel domain (Kaldi's construction), the last
    FFT bin weighted 0."""
    bins = spec.n_fft // 2
    bin_width = spec.sample_rate / spec.n_fft
    mel_low, mel_high = _mel(spec.fmin), _mel(spec.fmax)
    delta = (mel_high - mel_low) / (spec.n_mels + 1)
    index = np.arange(spec.n_mels)[:, None]
    left, center, right = (mel_low + (index + k) * delta for k in (0, 1, 2))
    mel = _mel(bin_width * np.arange(bins))[None, :]
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    banks = np.maximum(0.0, np.minimum(up, down))
    return np.pad(banks, ((0, 0), (0, 1))).astype(np.float32)


class LogMel:
    """Callable: waveform [B, N] or [N] float32 at 32 kHz -> log-mel [B, 1, 128, T]."""

    def __init__(self, spec: MelSpec = MelSpec(), device: str | torch.device = "cpu"):
        self.spec = spec
        self.device = torch.device(device)
        self.window = torch.hann_window(spec.win_length, periodic=False, device=self.device)
        self.banks = torch.from_numpy(kaldi_mel_banks(spec)).to(self.device)
        self.emphasis = torch.tensor([[[-spec.preemphasis, 1.0]]], device=self.device)

    @torch.no_grad()
    def __call__(self, waveform: torch.Tensor | np.ndarray) -> torch.Tensor:
        x = torch.as_tensor(waveform, dtype=torch.float32, device=self.device)
        if x.dim() == 1:
            x = x[None]
        x = torch.nn.functional.conv1d(x[:, None, :], self.emphasis).squeeze(1)  # y[n] = x[n+1] - a x[n]
        stft = torch.stft(
            x,
            n_fft=self.spec.n_fft,
            hop_length=self.spec.hop,
            win_length=self.spec.win_length,
            window=self.window,
            center=True,
            pad_mode="reflect",
            normalized=False,
            return_complex=True,
        )
        power = stft.real**2 + stft.imag**2
        mel = torch.matmul(self.banks, power)
        return ((torch.log(mel + 1e-5) + 4.5) / 5.0)[:, None]


def frames_for(seconds: float) -> int:
    """Mel frames for ``seconds`` of audio."""
    return int(math.floor(seconds * SAMPLE_RATE - 1) / HOP) + 1


_THREADS = threading.Lock()


@contextlib.contextmanager
def _one_thread_on_cpu(device: torch.device):
    """torch on one thread for a block's STFT on the CPU. A second of audio is too little work to share,
    and torch's threads then fight ONNX Runtime's and the decoder's for two cores: measured on the
    10-minute file's first 120 s (2 cores, audio-visual pack), the front end took 3.9 s with torch's
    default threads and 0.2 s with one (the whole analysis 13.2 s -> 9.5 s)."""
    if device.type != "cpu":
        yield
        return
    with _THREADS:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)


class StreamingLogMel:
    """The same frames as ``LogMel`` on the whole signal, computed block by block with bounded memory.

    Frame j is centred on pre-emphasised sample j * hop; the signal's very start and end are
    reflect-padded as ``torch.stft(center=True)`` does. ``push`` returns the frames that are complete,
    ``finish`` the rest.
    """

    def __init__(self, logmel: LogMel | None = None):
        self.logmel = logmel or LogMel()
        spec = self.logmel.spec
        self.half = spec.n_fft // 2
        self.hop = spec.hop
        self.a = spec.preemphasis
        self.previous: float | None = None  # last raw sample, for the pre-emphasis across blocks
        self.pending = np.zeros(0, np.float32)
        self.pending_start = 0  # index (in the emphasised signal) of pending[0]
        self.next_center = 0
        self.length = 0  # emphasised samples seen

    def _frames(self, padded_from: int, count: int) -> np.ndarray:
        """``count`` frames from ``self.pending`` starting at the window that begins at padded_from."""
        spec = self.logmel.spec
        lo = padded_from - self.pending_start
        segment = torch.from_numpy(self.pending[lo : lo + (count - 1) * self.hop + spec.n_fft].copy())
        segment = segment.to(self.logmel.device)  # the STFT runs where the front end lives (a GPU: see audioset)
        with _one_thread_on_cpu(self.logmel.device):
            return self._log_mel(segment)

    def _log_mel(self, segment: torch.Tensor) -> np.ndarray:
        spec = self.logmel.spec
        stft = torch.stft(
            segment[None],
            n_fft=spec.n_fft,
            hop_length=self.hop,
            win_length=spec.win_length,
            window=self.logmel.window,
            center=False,
            return_complex=True,
        )
        power = stft.real**2 + stft.imag**2
        mel = torch.matmul(self.logmel.banks, power)
        return ((torch.log(mel + 1e-5) + 4.5) / 5.0)[0].cpu().numpy()

    def push(self, samples: np.ndarray) -> np.ndarray:
        x = samples.astype(np.float32, copy=False)
        raw = np.concatenate(([self.previous], x)).astype(np.float32) if self.previous is not None else x
        if len(raw) < 2:
            self.previous = float(raw[-1]) if len(raw) else self.previous
            return np.zeros((self.logmel.spec.n_mels, 0), np.float32)
        y = raw[1:] - self.a * raw[:-1]
        self.previous = float(raw[-1])
        if self.length == 0:
            # Reflect-pad the start (needs half + 1 samples; short first blocks wait in ``previous``).
            y = np.concatenate((y[1 : self.half + 1][::-1], y))
            self.pending_start = -self.half
        self.pending = np.concatenate((self.pending, y))
        self.length += len(raw) - 1
        return self._emit(self.pending_start + len(self.pending))

    def _emit(self, available_end: int) -> np.ndarray:
        count = max(0, (available_end - self.half - self.next_center) // self.hop + 1)
        if count == 0:
            return np.zeros((self.logmel.spec.n_mels, 0), np.float32)
        frames = self._frames(self.next_center - self.half, count)
        self.next_center += count * self.hop
        drop = self.next_center - self.half - self.pending_start
        self.pending = self.pending[drop:]
        self.pending_start += drop
        return frames

    def finish(self) -> np.ndarray:
        if self.length == 0:
            return np.zeros((self.logmel.spec.n_mels, 0), np.float32)
        tail = self.pending[-self.half - 1 : -1][::-1]  # reflect the end, excluding the last sample
        self.pending = np.concatenate((self.pending, tail))
        total = 1 + self.length // self.hop
        end_needed = (total - 1) * self.hop + self.half
        frames = self._emit(min(end_needed, self.pending_start + len(self.pending)))
        return frames
