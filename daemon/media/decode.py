"""One pass over a container: audio resampled to mono blocks, video as per-frame luma thumbnails and
picture samples at the analysis rate. Everything is a generator: memory stays flat however long the file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from ..errors import Cancelled
from ..results import MediaInfo
from .probe import is_cover_art, open_container

log = logging.getLogger(__name__)

# Pixel formats whose first plane is 8-bit luma: thumbnails come straight from it, without swscale.
BOX = 4
_LUMA_PLANE_FORMATS = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}


@dataclass
class DecodeSettings:
    """What the detectors of one request need from the decoder."""

    audio_rates: tuple[int, ...] = ()  # mono float32 audio is produced at each of these rates
    luma_thumbnails: bool = False  # a small luma picture of every decoded frame
    thumbnail_width: int = 64
    picture_fps: float = 0.0  # RGB pictures at this rate (0: none)
    picture_size: int = 224  # short side of those pictures
    picture_square: bool = False  # resized to picture_size x picture_size instead (aspect not kept)
    audio_block_seconds: float = 1.0  # audio is handed on in blocks of about this length
    audio_stream: int = 0
    keyframes_only: bool = False  # decode only key frames (pictures for cuts-free packs: much less decoding)


@dataclass
class AudioBlock:
    rate: int
    start_seconds: float  # media time of samples[0]
    samples: np.ndarray  # float32, mono


@dataclass
class VideoFrame:
    time_seconds: float  # media time of the frame
    luma: np.ndarray | None = None  # (h, w) float32 thumbnail, 0..255
    picture: np.ndarray | None = None  # (h, w, 3) uint8 RGB, upright, at the analysis rate


@dataclass
class DecodeReport:
    """What the pass met on the way, for the result's warnings."""

    corrupt_packets: int = 0
    last_video_seconds: float | None = None
    last_audio_seconds: float | None = None
    stopped_early: str = ""
    warnings: list[str] = field(default_factory=list)


def luma_thumbnail(frame: av.VideoFrame, width: int) -> np.ndarray:
    """A box-filtered luma picture about ``width`` pixels wide (cheap: a strided view of plane 0)."""
    if frame.format.name in _LUMA_PLANE_FORMATS:
        plane = frame.planes[0]
        y = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
    else:
        y = frame.reformat(format="gray").to_ndarray()
    # Sample every ``step``-th pixel, then average BOX x BOX blocks: close to a true box filter (moving
    # hard edges do not alias into false cuts) at a fraction of the cost of averaging every pixel.
    # Summing strided slices is ~4x faster than a mean over a 4-D reshaped view.
    step = max(1, y.shape[1] // (BOX * width))
    sub = y[::step, ::step]
    h, w = (sub.shape[0] // BOX) * BOX, (sub.shape[1] // BOX) * BOX
    if h == 0 or w == 0:
        return sub.astype(np.float32)
    sub = sub[:h, :w].astype(np.uint16)  # BOX*BOX*255 fits
    rows = sum(sub[:, i::BOX] for i in range(BOX))
    blocks = sum(rows[i::BOX] for i in range(BOX))
    return blocks.astype(np.float32) * (1.0 / (BOX * BOX))


def upright_picture(frame: av.VideoFrame, short_side: int, rotation: int, square: bool = False) -> np.ndarray:
    """RGB picture with its short side ``short_side`` (or ``short_side`` square) and the file's display
    rotation applied."""
    w, h = frame.width, frame.height
    scale = short_side / min(w, h)
    out_w, out_h = (short_side, short_side) if square else (max(2, round(w * scale)), max(2, round(h * scale)))
    rgb = frame.reformat(width=out_w, height=out_h, format="rgb24", interpolation="AREA").to_ndarray()
    # rotation is the counter-clockwise angle a player turns the picture by.
    turns = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, k=turns)) if turns else rgb


class _AudioChannel:
    """Resamples one stream to one rate and cuts the output into blocks inside [start, end)."""

    def __init__(self, rate: int, block_seconds: float, start: float, end: float):
        self.rate = rate
        self.resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        self.block = max(1, int(block_seconds * rate))
        self.start, self.end = start, end
        self.pending: list[np.ndarray] = []
        self.pending_len = 0
        self.next_time: float | None = None  # media time of the next resampled sample
        self.emitted_until = start  # media time up to which samples were handed on
        self.started = False

    def push(self, frame: av.AudioFrame | None, frame_time: float | None) -> Iterator[AudioBlock]:
        if self.next_time is None and frame_time is not None:
            self.next_time = frame_time
        for out in self.resampler.resample(frame):
            data = out.to_ndarray().reshape(-1)
            t0 = self.next_time if self.next_time is not None else 0.0
            self.next_time = t0 + len(data) / self.rate
            # Trim to the requested range by sample count.
            lo = max(0, round((self.start - t0) * self.rate))
            hi = min(len(data), round((self.end - t0) * self.rate))
            if hi > lo:
                if not self.started:
                    # The first kept sample sets the clock (audio may start after the range does).
                    self.emitted_until, self.started = t0 + lo / self.rate, True
                self.pending.append(data[lo:hi])
                self.pending_len += hi - lo
        if frame is None or self.pending_len >= self.block:
            yield from self._flush(final=frame is None)

    def _flush(self, final: bool) -> Iterator[AudioBlock]:
        if not self.pending_len:
            return
        samples = np.concatenate(self.pending) if len(self.pending) > 1 else self.pending[0]
        self.pending, self.pending_len = [], 0
        block = AudioBlock(self.rate, self.emitted_until, np.ascontiguousarray(samples, dtype=np.float32))
        self.emitted_until += len(samples) / self.rate
        yield block

    def done(self) -> bool:
        return self.next_time is not None and self.next_time >= self.end


def decode(
    info: MediaInfo,
    settings: DecodeSettings,
    start: float = 0.0,
    end: float | None = None,
    cancel: threading.Event | None = None,
    report: DecodeReport | None = None,
) -> Iterator[AudioBlock | VideoFrame]:
    """Decode ``info.path`` once between media times ``start`` and ``end``, yielding in file order."""
    end = info.duration_seconds if end is None else end
    report = report if report is not None else DecodeReport()
    want_audio = bool(settings.audio_rates) and info.has_audio
    want_video = (settings.luma_thumbnails or settings.picture_fps > 0) and info.has_video
    if not want_audio and not want_video:
        return
    path = Path(info.path)
    with open_container(path) as container:
        vstream = next((s for s in container.streams.video if not is_cover_art(s)), None) if want_video else None
        astream = container.streams.audio[settings.audio_stream] if want_audio else None
        if vstream is not None:
            vstream.thread_type = "AUTO"  # frame + slice threads: decode is the cost floor here
            if settings.keyframes_only and not settings.luma_thumbnails:
                vstream.codec_context.skip_frame = "NONKEY"
        streams = [s for s in (vstream, astream) if s is not None]
        origin = info.origin_seconds
        if start > 0:
            seek_stream = vstream or astream
            container.seek(int((start + origin) / seek_stream.time_base), stream=seek_stream, backward=True)

        channels = [_AudioChannel(r, settings.audio_block_seconds, start, end) for r in settings.audio_rates]
        video_done = vstream is None
        frame_step = 1.0 / float(info.frame_rate) if info.frame_rate else 1.0 / 25
        last_video_t: float | None = None
        next_picture_t = start
        picture_step = 1.0 / settings.picture_fps if settings.picture_fps > 0 else 0.0

        packets = container.demux(streams)
        while True:
            if cancel is not None and cancel.is_set():
                raise Cancelled("detection was cancelled")
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:
                report.stopped_early = f"reading stopped at a damaged part of the file ({exc})"
                break
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                report.corrupt_packets += 1
                continue
            if packet.stream is astream:
                for frame in frames:
                    t = float(frame.time) - origin if frame.time is not None else None
                    for ch in channels:
                        yield from ch.push(frame, t)
                    if t is not None:
                        report.last_audio_seconds = t + frame.samples / frame.sample_rate
            elif not video_done:
                if packet.pts is not None and packet.time_base is not None:
                    # Where the video has got to, also when frames are skipped (key frames only).
                    t_packet = float(packet.pts * packet.time_base) - origin + frame_step
                    report.last_video_seconds = max(report.last_video_seconds or 0.0, min(t_packet, end))
                for frame in frames:
                    t = float(frame.time) - origin if frame.time is not None else None
                    if t is None:
                        t = (last_video_t + frame_step) if last_video_t is not None else start
                    last_video_t = t
                    report.last_video_seconds = max(report.last_video_seconds or 0.0, t + frame_step)
                    if t < start - 1e-6:
                        continue
                    if t >= end - 1e-6:
                        video_done = True
                        break
                    out = VideoFrame(t)
                    if settings.luma_thumbnails:
                        out.luma = luma_thumbnail(frame, settings.thumbnail_width)
                    if picture_step and t >= next_picture_t - 1e-6:
                        out.picture = upright_picture(
                            frame, settings.picture_size, info.rotation_degrees, settings.picture_square
                        )
                        next_picture_t += picture_step * max(1, int((t - next_picture_t) / picture_step) + 1)
                    yield out
            if video_done and all(ch.done() for ch in channels):
                break
        # Flush decoders and resamplers.
        if astream is not None:
            for ch in channels:
                yield from ch.push(None, None)
    if report.corrupt_packets:
        report.warnings.append(f"{report.corrupt_packets} damaged packet(s) were skipped")
    if report.stopped_early:
        report.warnings.append(report.stopped_early)
