"""Validate a media path and read the facts the analysis and the clients need (PyAV)."""

from __future__ import annotations

import logging
import os
import stat
from fractions import Fraction
from pathlib import Path

import av

from ..errors import MediaError, MediaNotFound, MediaPermissionDenied, MediaUnreadable, NoUsableStream
from ..results import MediaInfo

log = logging.getLogger(__name__)

# Nominal rates a container's rounded value is snapped to (23.976 is 24000/1001, never 23976/1000).
_NTSC_RATES = [Fraction(n * 1000, 1001) for n in (24, 30, 48, 60, 120)]


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
    """Open with PyAV, turning FFmpeg's failures into a MediaUnreadable that names the file."""
    try:
        return av.open(str(path), metadata_errors="ignore")
    except PermissionError:
        raise MediaPermissionDenied(f"{path}: permission denied") from None
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise MediaUnreadable(f"{path}: not a readable media file ({reason}); truncated or corrupt?") from None


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


def _reject_non_media(container: av.container.InputContainer, path: Path) -> None:
    name = container.format.name
    if name in _TEXT_FORMATS or any(s.codec_context.name == "ansi" for s in container.streams.video):
        raise MediaUnreadable(f"{path}: not a readable media file (it is text, not audio or video)")
    if name == "image2" or name.endswith("_pipe"):
        raise MediaUnreadable(f"{path}: not a readable media file (a still image, not audio or video)")


def is_cover_art(stream: av.video.stream.VideoStream) -> bool:
    """An album picture attached to an audio file is a video stream of one frame, not video."""
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _stream_start(stream: av.stream.Stream) -> float | None:
    if stream.start_time is None or stream.time_base is None:
        return None
    return float(stream.start_time * stream.time_base)


def _stream_duration(stream: av.stream.Stream) -> float | None:
    if stream.duration is None or stream.time_base is None:
        return None
    return float(stream.duration * stream.time_base)


def probe(path: str | os.PathLike, audio_stream: int | None = None) -> MediaInfo:
    """Read container facts; decodes the first video frame to learn its rotation and prove it decodes."""
    p = check_path(path)
    info = MediaInfo(path=str(p), size_bytes=p.stat().st_size)
    with open_container(p) as container:
        info.container = container.format.name
        _reject_non_media(container, p)
        videos = [s for s in container.streams.video if not is_cover_art(s)]
        audios = list(container.streams.audio)
        info.audio_stream_count = len(audios)
        if not videos and not audios:
            raise NoUsableStream(f"{p}: contains no audio or video stream")
        if audio_stream is not None and audios and audio_stream >= len(audios):
            raise MediaError(f"{p}: has {len(audios)} audio stream(s); stream {audio_stream} does not exist")
        durations = []
        if videos:
            v = videos[0]
            info.has_video = True
            info.video_codec = v.codec_context.name
            info.width, info.height = v.width, v.height
            nominal = exact_rate(v.base_rate or v.guessed_rate or v.average_rate)
            average = exact_rate(v.average_rate) or nominal
            info.frame_rate, info.average_frame_rate = nominal, average
            info.variable_frame_rate = bool(
                nominal and average and abs(float(nominal) - float(average)) > 0.01 * float(nominal)
            )
            info.rotation_degrees = _first_frame_rotation(container, v, p)
            durations.append(_stream_duration(v))
        if audios:
            a = audios[audio_stream or 0]
            info.has_audio = True
            info.audio_stream = audio_stream or 0
            info.sample_rate = a.codec_context.sample_rate or 0
            info.audio_channels = a.codec_context.channels or 0
            info.audio_codec = a.codec_context.name
            durations.append(_stream_duration(a))
        origin_stream = videos[0] if videos else audios[info.audio_stream]
        info.origin_seconds = _stream_start(origin_stream) or 0.0
        container_duration = container.duration / av.time_base if container.duration else None
        known = [d for d in durations if d]
        info.duration_seconds = max(known) if known else (container_duration or 0.0)
    return info


def _first_frame_rotation(container: av.container.InputContainer, stream, path: Path) -> int:
    try:
        for frame in container.decode(stream):
            return int(getattr(frame, "rotation", 0) or 0) % 360
    except av.error.FFmpegError as exc:
        raise MediaUnreadable(f"{path}: the video stream cannot be decoded ({exc}); corrupt?") from None
    finally:
        container.seek(0)
    raise MediaUnreadable(f"{path}: the video stream holds no decodable frame; truncated?")
