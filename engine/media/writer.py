"""Write video and audio to a real container with PyAV (samples, tests and benchmarks make media so)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from fractions import Fraction

import av
import numpy as np


def write_media(
    path: str | os.PathLike,
    *,
    frames: Iterable[np.ndarray] | None = None,
    frame_rate: Fraction | int = 25,
    size: tuple[int, int] | None = None,
    pixel_format: str = "rgb24",
    audio: np.ndarray | None = None,
    sample_rate: int = 48000,
    video_codec: str = "libx264",
    audio_codec: str = "aac",
    video_options: dict[str, str] | None = None,
    rotation: int = 0,
    timecode: str | None = None,
) -> None:
    """Encode ``frames`` (``rgb24`` (h, w, 3) or ``yuv420p`` (h*3/2, w) uint8 arrays, consumed lazily)
    and ``audio`` (float32, (n,) mono or (n, channels), -1..1) into ``path``; either may be omitted.
    ``timecode`` ("01:00:00:00") is the start timecode (a QuickTime tmcd track in .mov)."""
    if frames is None and audio is None:
        raise ValueError("nothing to write: give frames, audio or both")
    with av.open(str(path), "w") as container:
        if timecode:
            container.metadata["timecode"] = timecode
        vstream = astream = None
        frame_iter = iter(frames) if frames is not None else None
        first = None
        if frame_iter is not None:
            first = next(frame_iter)
            height, width = (
                (first.shape[0], first.shape[1])
                if pixel_format == "rgb24"
                else (first.shape[0] * 2 // 3, first.shape[1])
            )
            if size is not None and size != (width, height):
                raise ValueError(f"frames are {width}x{height}, expected {size[0]}x{size[1]}")
            vstream = container.add_stream(video_codec, rate=Fraction(frame_rate))
            vstream.width, vstream.height = width, height
            vstream.pix_fmt = "yuv420p"
            vstream.options = (
                {"preset": "veryfast", **(video_options or {})} if video_codec == "libx264" else (video_options or {})
            )
            if rotation:
                vstream.set_display_rotation(rotation)
        if audio is not None:
            channels = 1 if audio.ndim == 1 else audio.shape[1]
            astream = container.add_stream(audio_codec, rate=sample_rate, layout="mono" if channels == 1 else "stereo")
        # Interleave roughly by time so players and demuxers see a normal file.
        audio_pos = 0
        audio_chunk = 1024
        index = 0
        # The first frame was taken to size the stream; put it back in front.
        pending = itertools.chain([first], frame_iter) if frame_iter is not None else iter(())
        while True:
            frame = next(pending, None)
            t_video = index / float(frame_rate) if frame is not None else float("inf")
            while astream is not None and audio_pos < len(audio) and audio_pos / sample_rate <= t_video:
                _encode_audio(container, astream, audio[audio_pos : audio_pos + audio_chunk], sample_rate, audio_pos)
                audio_pos += audio_chunk
            if frame is None:
                break
            vf = av.VideoFrame.from_ndarray(frame, format=pixel_format)
            vf.pts = index
            vf.time_base = 1 / Fraction(frame_rate)
            for packet in vstream.encode(vf):
                container.mux(packet)
            index += 1
        if vstream is not None:
            for packet in vstream.encode():
                container.mux(packet)
        if astream is not None:
            for packet in astream.encode():
                container.mux(packet)


def _encode_audio(container, stream, chunk: np.ndarray, rate: int, pts: int) -> None:
    data = np.ascontiguousarray(chunk.T if chunk.ndim == 2 else chunk[None, :], dtype=np.float32)
    frame = av.AudioFrame.from_ndarray(data, format="fltp", layout="mono" if data.shape[0] == 1 else "stereo")
    frame.sample_rate = rate
    frame.pts = pts
    frame.time_base = Fraction(1, rate)
    for packet in stream.encode(frame):
        container.mux(packet)
