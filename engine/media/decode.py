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

from avevents.core.errors import Cancelled, MediaUnreadable
from avevents.core.results import MediaInfo

from .probe import AUDIO_RATE_RANGE, MEDIA_FAILURES, failure_reason, is_cover_art, open_container

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
    damaged_frames: int = 0  # decoded, but with values no recording holds, or that cannot be converted
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

    def __init__(self, rate: int, block_seconds: float, start: float, end: float, path: Path):
        self.rate = rate
        self.path = path
        self.resampler: av.AudioResampler | None = None
        self.source: tuple | None = None  # (format, layout, rate) the resampler was made for
        # Mix to mono in numpy first: FFmpeg's resampler refuses some layouts (more than 24 unnamed channels).
        self.downmix = False
        self.block = max(1, int(block_seconds * rate))
        self.start, self.end = start, end
        self.pending: list[np.ndarray] = []
        self.pending_len = 0
        self.next_time: float | None = None  # media time of the next resampled sample
        self.emitted_until = start  # media time up to which samples were handed on
        self.started = False

    def push(self, frame: av.AudioFrame | None, frame_time: float | None) -> Iterator[AudioBlock]:
        """Resample ``frame`` (None: flush) and yield the blocks that are full.

        :raises MediaUnreadable: the audio cannot be converted to mono at this rate.
        """
        if self.next_time is None and frame_time is not None:
            self.next_time = frame_time
        for data in self._resampled(frame):
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

    def _resampled(self, frame: av.AudioFrame | None) -> list[np.ndarray]:
        """Mono float32 samples at ``rate`` for ``frame``; a frame of another shape than the last (a
        damaged packet, a spliced recording) gets a resampler of its own instead of an error."""
        if frame is None:
            return self._drain()
        source = (frame.format.name, frame.layout.name, frame.sample_rate)
        out = []
        if source != self.source:
            out = self._drain()  # what the old resampler holds comes first
            self.source, self.downmix = source, False
        try:
            return out + self._convert(frame)
        except MEDIA_FAILURES as exc:
            if self.downmix:
                raise self._unconvertible(frame, exc) from None
            log.info("%s: FFmpeg cannot resample %s (%s); mixing to mono first", self.path, source, exc)
        self.resampler, self.downmix = None, True
        try:
            return out + self._convert(frame)
        except MEDIA_FAILURES as exc:
            raise self._unconvertible(frame, exc) from None

    def _convert(self, frame: av.AudioFrame) -> list[np.ndarray]:
        """Through the current resampler (made on first use), mixed to mono first in downmix mode."""
        if self.resampler is None:
            self.resampler = av.AudioResampler(format="flt", layout="mono", rate=self.rate)
        if self.downmix:
            frame = downmixed(frame)
        return [out.to_ndarray().reshape(-1) for out in self.resampler.resample(frame)]

    def _drain(self) -> list[np.ndarray]:
        """The samples still inside the resampler (which cannot be used after this)."""
        resampler, self.resampler = self.resampler, None
        if resampler is None:
            return []
        try:
            return [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
        except MEDIA_FAILURES as exc:
            log.info("%s: the resampler's last samples are lost (%s)", self.path, failure_reason(exc))
            return []

    def _unconvertible(self, frame: av.AudioFrame, exc: BaseException) -> MediaUnreadable:
        return MediaUnreadable(
            f"{self.path}: the audio ({frame.layout.nb_channels} channel(s), {frame.sample_rate} Hz, "
            f"{frame.format.name}) cannot be converted to mono {self.rate} Hz ({failure_reason(exc)})"
        )

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


# Full scale of the integer sample formats, to bring them to -1..1.
_FULL_SCALE = {
    np.dtype(np.uint8): 128.0,
    np.dtype(np.int16): 2.0**15,
    np.dtype(np.int32): 2.0**31,
    np.dtype(np.int64): 2.0**63,
}


def downmixed(frame: av.AudioFrame) -> av.AudioFrame:
    """``frame`` as mono float32 by averaging its channels (any number of them, named or not).

    :param frame: decoded audio in any sample format, packed or planar.
    :returns: a mono ``flt`` frame with the same rate and timestamp.
    """
    channels = frame.layout.nb_channels
    data = frame.to_ndarray()
    # Planar formats come as (channels, samples); packed as (1, samples * channels), interleaved.
    data = data if frame.format.is_planar else data.reshape(-1, channels).T
    scale = _FULL_SCALE.get(data.dtype)
    samples = data.astype(np.float32)
    if scale is not None:
        samples = (samples - 128.0 if data.dtype == np.uint8 else samples) / scale
    mono = np.ascontiguousarray(samples.mean(axis=0, keepdims=True), dtype=np.float32)
    out = av.AudioFrame.from_ndarray(mono, format="flt", layout="mono")
    out.sample_rate, out.pts, out.time_base = frame.sample_rate, frame.pts, frame.time_base
    return out


def plausible_audio(frame: av.AudioFrame) -> bool:
    """False for a frame whose rate, channels or length no recording has (decoded from damaged data)."""
    low, high = AUDIO_RATE_RANGE
    return low <= (frame.sample_rate or 0) <= high and frame.layout.nb_channels > 0 and frame.samples > 0


def decode(
    info: MediaInfo,
    settings: DecodeSettings,
    start: float = 0.0,
    end: float | None = None,
    cancel: threading.Event | None = None,
    report: DecodeReport | None = None,
) -> Iterator[AudioBlock | VideoFrame]:
    """Decode ``info.path`` once between media times ``start`` and ``end``, yielding in file order.

    Damaged packets and frames are skipped and counted in ``report``; reading stops at a part of the
    file the demuxer cannot get past.

    :raises MediaUnreadable: the file cannot be decoded at all (never another PyAV or FFmpeg error).
    :raises Cancelled: ``cancel`` was set.
    """
    end = info.duration_seconds if end is None else end
    report = report if report is not None else DecodeReport()
    want_audio = bool(settings.audio_rates) and info.has_audio
    want_video = (settings.luma_thumbnails or settings.picture_fps > 0) and info.has_video
    if not want_audio and not want_video:
        return
    path = Path(info.path)
    with open_container(path) as container:
        try:
            yield from _Pass(container, info, settings, start, end, report, want_audio, want_video).run(cancel)
        except MEDIA_FAILURES as exc:
            log.debug("%s: decoding failed", path, exc_info=True)
            raise MediaUnreadable(f"{path}: cannot be decoded ({failure_reason(exc)}); corrupt?") from None
    if report.corrupt_packets:
        report.warnings.append(f"{report.corrupt_packets} damaged packet(s) were skipped")
    if report.damaged_frames:
        report.warnings.append(f"{report.damaged_frames} damaged frame(s) were skipped")
    if report.stopped_early:
        report.warnings.append(report.stopped_early)


class _Pass:
    """One decoding pass over an open container: its streams, clocks and per-rate audio channels."""

    def __init__(
        self,
        container: av.container.InputContainer,
        info: MediaInfo,
        settings: DecodeSettings,
        start: float,
        end: float,
        report: DecodeReport,
        audio: bool,
        video: bool,
    ):
        self.container, self.info, self.settings, self.report = container, info, settings, report
        self.path = Path(info.path)
        self.start, self.end = start, end
        self.vstream = next((s for s in container.streams.video if not is_cover_art(s)), None) if video else None
        self.astream = container.streams.audio[settings.audio_stream] if audio else None
        if self.vstream is not None:
            self.vstream.thread_type = "AUTO"  # frame + slice threads: decode is the cost floor here
            if settings.keyframes_only and not settings.luma_thumbnails and self.vstream.codec_context is not None:
                self.vstream.codec_context.skip_frame = "NONKEY"
        self.origin = info.origin_seconds
        self.channels = [
            _AudioChannel(r, settings.audio_block_seconds, start, end, self.path) for r in settings.audio_rates
        ]
        self.video_done = self.vstream is None
        self.frame_step = 1.0 / float(info.frame_rate) if info.frame_rate else 1.0 / 25
        self.last_video_t: float | None = None
        self.next_picture_t = start
        self.picture_step = 1.0 / settings.picture_fps if settings.picture_fps > 0 else 0.0

    def run(self, cancel: threading.Event | None) -> Iterator[AudioBlock | VideoFrame]:
        """Demux and decode to ``end`` (or the end of what can be read), then flush the resamplers."""
        streams = [s for s in (self.vstream, self.astream) if s is not None]
        if self.start > 0:
            self._seek(self.vstream or self.astream)
        packets = self.container.demux(streams)
        while True:
            if cancel is not None and cancel.is_set():
                raise Cancelled("detection was cancelled")
            try:
                packet = next(packets)
            except StopIteration:
                break
            except MEDIA_FAILURES as exc:
                self.report.stopped_early = f"reading stopped at a damaged part of the file ({failure_reason(exc)})"
                break
            try:
                frames = packet.decode()
            except MEDIA_FAILURES:
                self.report.corrupt_packets += 1
                continue
            if packet.stream is self.astream:
                yield from self._audio(frames)
            elif not self.video_done:
                yield from self._video(packet, frames)
            if self.video_done and all(ch.done() for ch in self.channels):
                break
        # Flush the resamplers.
        if self.astream is not None:
            for ch in self.channels:
                yield from ch.push(None, None)

    def _seek(self, stream: av.stream.Stream) -> None:
        """Start near ``start``; where the file cannot seek (damaged index, unfinished file), decode from
        the beginning instead: what lies before ``start`` is dropped anyway, only slower."""
        if not stream.time_base:
            return
        target = int((self.start + self.origin) / stream.time_base)
        try:
            self.container.seek(target, stream=stream, backward=True)
        except MEDIA_FAILURES as exc:
            log.info("%s: cannot seek to %.2f s (%s); decoding from the start", self.path, self.start, exc)

    def _audio(self, frames: list[av.AudioFrame]) -> Iterator[AudioBlock]:
        """One packet's audio frames into every rate's channel; implausible frames are counted, not used."""
        for frame in frames:
            if not plausible_audio(frame):
                self.report.damaged_frames += 1
                continue
            t = float(frame.time) - self.origin if frame.time is not None else None
            for ch in self.channels:
                yield from ch.push(frame, t)
            if t is not None:
                self.report.last_audio_seconds = t + frame.samples / frame.sample_rate

    def _video(self, packet: av.Packet, frames: list[av.VideoFrame]) -> Iterator[VideoFrame]:
        """One packet's video frames inside [start, end), as thumbnails and pictures."""
        report = self.report
        if packet.pts is not None and packet.time_base is not None:
            # Where the video has got to, also when frames are skipped (key frames only).
            t_packet = float(packet.pts * packet.time_base) - self.origin + self.frame_step
            report.last_video_seconds = max(report.last_video_seconds or 0.0, min(t_packet, self.end))
        for frame in frames:
            t = float(frame.time) - self.origin if frame.time is not None else None
            if t is None:
                t = (self.last_video_t + self.frame_step) if self.last_video_t is not None else self.start
            self.last_video_t = t
            report.last_video_seconds = max(report.last_video_seconds or 0.0, t + self.frame_step)
            if t < self.start - 1e-6:
                continue
            if t >= self.end - 1e-6:
                self.video_done = True
                return
            try:
                out = self._analysed_frame(frame, t)
            except MEDIA_FAILURES as exc:
                # A frame of an impossible size or format from a damaged packet: the next one may be fine.
                log.debug("%s: frame at %.3f s skipped (%s)", self.path, t, exc)
                report.damaged_frames += 1
                continue
            yield out

    def _analysed_frame(self, frame: av.VideoFrame, t: float) -> VideoFrame:
        """What the detectors asked for from one decoded frame (raises on a frame that cannot be converted)."""
        settings = self.settings
        out = VideoFrame(t)
        if settings.luma_thumbnails:
            out.luma = luma_thumbnail(frame, settings.thumbnail_width)
        if self.picture_step and t >= self.next_picture_t - 1e-6:
            out.picture = upright_picture(
                frame, settings.picture_size, self.info.rotation_degrees, settings.picture_square
            )
            self.next_picture_t += self.picture_step * max(1, int((t - self.next_picture_t) / self.picture_step) + 1)
        return out
