"""Validate a media path and read the facts the analysis and the clients need (PyAV)."""

from __future__ import annotations

import errno
import logging
import os
import stat
from fractions import Fraction
from pathlib import Path

import av

from avevents.core.errors import MediaError, MediaNotFound, MediaPermissionDenied, MediaUnreadable, NoUsableStream
from avevents.core.results import MediaInfo

log = logging.getLogger(__name__)

# Nominal rates a container's rounded value is snapped to (23.976 is 24000/1001, never 23976/1000).
_NTSC_RATES = [Fraction(n * 1000, 1001) for n in (24, 30, 48, 60, 120)]


# What PyAV raises on damaged data: FFmpeg's errors (some are also OSError subclasses, e.g. EPERM from a
# seek), and ValueError / OverflowError / ZeroDivisionError from values no real file holds.
MEDIA_FAILURES = (av.error.FFmpegError, OSError, ValueError, OverflowError, ZeroDivisionError, EOFError)

# Stream facts outside these bounds come from a damaged header, not from a recording: FFmpeg's resampler
# mixes at most 64 channels (SWR_CH_MAX); no microphone records below 1 kHz or above 768 kHz; 32768 px is
# twice the largest picture any camera writes.
MAX_AUDIO_CHANNELS = 64
AUDIO_RATE_RANGE = (1000, 768000)
MAX_PICTURE_SIDE = 32768


def failure_reason(exc: BaseException) -> str:
    """FFmpeg's words for a failure, on one line, without PyAV's errno and function decorations."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(reason).split())


def check_path(path: str | os.PathLike) -> Path:
    """Fail fast, with the reason in words, on a path that cannot be media."""
    p = Path(path).expanduser()
    try:
        st = p.stat()
    except FileNotFoundError:
        raise MediaNotFound(f"{p}: no such file") from None
    except PermissionError:
        raise MediaPermissionDenied(f"{p}: permission denied") from None
    except OSError as exc:
        raise MediaUnreadable(f"{p}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise MediaUnreadable(f"{p}: is a directory, not a media file")
    if not stat.S_ISREG(st.st_mode):
        raise MediaUnreadable(f"{p}: not a regular file")
    if not os.access(p, os.R_OK):
        raise MediaPermissionDenied(f"{p}: permission denied (not readable by this user)")
    if st.st_size == 0:
        raise MediaUnreadable(f"{p}: the file is empty (0 bytes)")
    return p


def open_container(path: Path) -> av.container.InputContainer:
    """Open with PyAV, turning FFmpeg's failures into a MediaUnreadable that names the file.

    :raises MediaPermissionDenied: the file may not be read by this user.
    :raises MediaUnreadable: anything else FFmpeg refuses (on one line, with FFmpeg's reason).
    """
    try:
        return av.open(str(path), metadata_errors="ignore")
    except PermissionError as exc:
        # A demuxer that gives up on damaged data can say EPERM too: only EACCES is about the user's rights.
        if exc.errno == errno.EACCES:
            raise MediaPermissionDenied(f"{path}: permission denied") from None
        raise MediaUnreadable(
            f"{path}: not a readable media file ({failure_reason(exc)}); truncated or corrupt?"
        ) from None
    except MEDIA_FAILURES as exc:
        raise MediaUnreadable(
            f"{path}: not a readable media file ({failure_reason(exc)}); truncated or corrupt?"
        ) from None


def exact_rate(rate: Fraction | None) -> Fraction | None:
    """A container rate as the exact nominal rational (29.97 -> 30000/1001)."""
    if not rate:
        return None
    rate = Fraction(rate)
    for ntsc in _NTSC_RATES:
        if abs(rate - ntsc) < Fraction(1, 1000):
            return ntsc
    if abs(rate - round(rate)) < Fraction(1, 1000):
        return Fraction(round(rate))
    return rate.limit_denominator(1001)


# FFmpeg opens some files that are not audio or video: any text file as ANSI art ("tty"),
# subtitles, and still images through the image demuxers.
_TEXT_FORMATS = {"tty", "srt", "ass", "webvtt", "subviewer", "subviewer1", "microdvd", "sami", "lrc", "jacosub"}


def codec_name(stream: av.stream.Stream) -> str:
    """The stream's decoder name, or "" when FFmpeg has no decoder for it (unknown or damaged codec id)."""
    context = stream.codec_context
    return context.name if context is not None else ""


def _reject_non_media(container: av.container.InputContainer, path: Path) -> None:
    name = container.format.name
    if name in _TEXT_FORMATS or any(codec_name(s) == "ansi" for s in container.streams.video):
        raise MediaUnreadable(f"{path}: not a readable media file (it is text, not audio or video)")
    if name == "image2" or name.endswith("_pipe"):
        raise MediaUnreadable(f"{path}: not a readable media file (a still image, not audio or video)")


def is_cover_art(stream: av.video.stream.VideoStream) -> bool:
    """An album picture attached to an audio file is a video stream of one frame, not video."""
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _seconds(value: int | None, time_base) -> float | None:
    if value is None or not time_base:
        return None
    return float(value * time_base)


def _stream_start(stream: av.stream.Stream) -> float | None:
    return _seconds(stream.start_time, stream.time_base)


def _stream_duration(stream: av.stream.Stream) -> float | None:
    return _seconds(stream.duration, stream.time_base)


def probe(path: str | os.PathLike, audio_stream: int | None = None) -> MediaInfo:
    """Read container facts; decodes the first video frame to learn its rotation and prove it decodes.

    :param path: the media file.
    :param audio_stream: which audio stream to analyse (default the first).
    :returns: the facts the analysis needs, with a duration > 0.
    :raises MediaError: a subclass saying, on one line, why the file cannot be analysed; damaged data of
        any kind is a ``MediaUnreadable``, never another exception.
    """
    p = check_path(path)
    info = MediaInfo(path=str(p), size_bytes=p.stat().st_size)
    with open_container(p) as container:
        try:
            _read_facts(container, p, info, audio_stream)
        except MEDIA_FAILURES as exc:
            log.debug("%s: probe failed", p, exc_info=True)
            raise MediaUnreadable(f"{p}: cannot be read ({failure_reason(exc)}); truncated or corrupt?") from None
    return info


def _read_facts(container: av.container.InputContainer, p: Path, info: MediaInfo, audio_stream: int | None) -> None:
    """Fill ``info`` from an open container (raises MediaError on what cannot be analysed)."""
    info.container = container.format.name
    _reject_non_media(container, p)
    videos = [s for s in container.streams.video if not is_cover_art(s)]
    audios = list(container.streams.audio)
    info.audio_stream_count = len(audios)
    if not videos and not audios:
        raise NoUsableStream(f"{p}: contains no audio or video stream")
    if audio_stream is not None and audios and audio_stream >= len(audios):
        raise MediaError(f"{p}: has {len(audios)} audio stream(s); stream {audio_stream} does not exist")
    streams = []
    if videos:
        _video_facts(container, videos[0], p, info)
        streams.append(videos[0])
    if audios:
        info.audio_stream = audio_stream or 0
        _audio_facts(container, audios[info.audio_stream], p, info)
        streams.append(audios[info.audio_stream])
    info.origin_seconds = _stream_start(streams[0]) or 0.0
    info.duration_seconds = _duration(container, streams, p, info)


def _video_facts(
    container: av.container.InputContainer, v: av.video.stream.VideoStream, p: Path, info: MediaInfo
) -> None:
    """Codec, size, rates and rotation of the analysed video stream; its first frame must decode."""
    if v.codec_context is None:
        raise MediaUnreadable(f"{p}: the video stream's codec cannot be decoded (unknown codec; damaged header?)")
    info.has_video = True
    info.video_codec = v.codec_context.name
    nominal = exact_rate(v.base_rate or v.guessed_rate or v.average_rate)
    average = exact_rate(v.average_rate) or nominal
    info.frame_rate, info.average_frame_rate = nominal, average
    info.variable_frame_rate = bool(
        nominal and average and abs(float(nominal) - float(average)) > 0.01 * float(nominal)
    )
    frame = _first_video_frame(container, v, p)
    info.rotation_degrees = int(getattr(frame, "rotation", 0) or 0) % 360
    # The stream's size can be missing from a damaged header while the frames still say it.
    info.width, info.height = v.width or frame.width, v.height or frame.height
    if not (0 < info.width <= MAX_PICTURE_SIDE and 0 < info.height <= MAX_PICTURE_SIDE):
        raise MediaUnreadable(f"{p}: the video declares a {info.width}x{info.height} picture; damaged header?")


def _first_video_frame(container: av.container.InputContainer, stream, path: Path) -> av.VideoFrame:
    """The first decodable frame of ``stream``. The container is left where it is: what the probe reads
    afterwards reads forward, so no seek back (a seek in a damaged file can itself fail)."""
    try:
        for frame in container.decode(stream):
            return frame
    except MEDIA_FAILURES as exc:
        raise MediaUnreadable(f"{path}: the video stream cannot be decoded ({failure_reason(exc)}); corrupt?") from None
    raise MediaUnreadable(f"{path}: the video stream holds no decodable frame; truncated?")


def _audio_facts(
    container: av.container.InputContainer, a: av.audio.stream.AudioStream, p: Path, info: MediaInfo
) -> None:
    """Codec, rate and channels of the analysed audio stream, checked against what a recording can be."""
    context = a.codec_context
    if context is None:
        raise MediaUnreadable(
            f"{p}: audio stream {info.audio_stream}'s codec cannot be decoded (unknown codec; damaged header?)"
        )
    rate, channels = context.sample_rate or 0, context.channels or 0
    if rate <= 0 or channels <= 0:
        # A few containers leave these to the decoder: believe the first frame, if one decodes.
        frame = _first_audio_frame(container, a)
        if frame is None:
            raise MediaUnreadable(
                f"{p}: the audio stream declares {rate} Hz and {channels} channel(s) and no frame of it "
                "decodes; truncated or corrupt?"
            )
        rate, channels = frame.sample_rate or 0, frame.layout.nb_channels or 0
    if not 0 < channels <= MAX_AUDIO_CHANNELS:
        raise MediaUnreadable(
            f"{p}: the audio stream declares {channels} channels (1 to {MAX_AUDIO_CHANNELS} can be decoded); "
            "damaged header?"
        )
    low, high = AUDIO_RATE_RANGE
    if not low <= rate <= high:
        raise MediaUnreadable(
            f"{p}: the audio stream declares a sample rate of {rate} Hz ({low} to {high} can be decoded); "
            "damaged header?"
        )
    info.has_audio = True
    info.sample_rate, info.audio_channels, info.audio_codec = rate, channels, context.name


def _first_audio_frame(container: av.container.InputContainer, stream) -> av.AudioFrame | None:
    try:
        for frame in container.decode(stream):
            return frame
    except MEDIA_FAILURES:
        log.debug("%s: no audio frame decodes", container.name, exc_info=True)
    return None


def _duration(container: av.container.InputContainer, streams: list, p: Path, info: MediaInfo) -> float:
    """The declared length; when nothing declares one (a piped Matroska, a recording still being
    written), the end of the last packet, read to the end of the file."""
    declared = [d for d in (_stream_duration(s) for s in streams) if d and d > 0]
    if declared:
        return max(declared)
    if container.duration and container.duration > 0:
        return container.duration / av.time_base
    scanned = _read_to_end(p, info)
    if scanned > 0:
        note = (
            f"the file declares no duration (piped, or still being written?): its length, {scanned:.2f} s, "
            "was found by reading it to the end; anything written after that is not analysed"
        )
        log.warning("%s: %s", p, note)
        info.warnings.append(note)  # the user sees it with the result, not only the daemon's log
        return scanned
    raise MediaUnreadable(
        f"{p}: its length cannot be found (no duration declared and no timed packet); "
        "truncated, or still being written?"
    )


def _read_to_end(path: Path, info: MediaInfo) -> float:
    """Media time of the end of the last packet of the analysed streams (0 if none). Opens the file
    again: the probe's container has already consumed packets to decode a first frame. Only demuxes,
    never decodes, so a long file costs little more than reading it."""
    frame_seconds = 1.0 / float(info.frame_rate) if info.frame_rate else 0.0
    end = 0.0
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            streams = _analysed_streams(container, info)
            for packet in container.demux(streams):
                t = packet.pts if packet.pts is not None else packet.dts
                if t is None or not packet.time_base:
                    continue
                length = float(packet.duration * packet.time_base) if packet.duration else 0.0
                if not length and packet.stream.type == "video":
                    length = frame_seconds
                end = max(end, float(t * packet.time_base) + length)
    except (*MEDIA_FAILURES, IndexError) as exc:
        # A damaged or unfinished tail (or a file that changed since it was opened): what was read so far
        # is the length.
        log.info("%s: reading stopped at %.2f s (%s)", path, end, failure_reason(exc))
    return end - info.origin_seconds


def _analysed_streams(container: av.container.InputContainer, info: MediaInfo) -> list[av.stream.Stream]:
    """The video and audio streams the analysis will decode (as the probe chose them)."""
    streams = []
    if info.has_video:
        streams += [s for s in container.streams.video if not is_cover_art(s)][:1]
    if info.has_audio:
        streams.append(container.streams.audio[info.audio_stream])
    return streams
