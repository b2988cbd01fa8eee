"""Frame rates and timecode as editors write them (standard library only).

Resolve reports rates as rounded strings ("23.976", "29.97", "59.94", "24"), files as floats; NTSC rates
are exact rationals (24000/1001 ...), never the rounded float, or a marker an hour into a timeline lands
frames off.
"""

from __future__ import annotations

from fractions import Fraction

# Rounded NTSC spellings -> exact rates.
_NTSC = {
    "23.976": Fraction(24000, 1001),
    "23.98": Fraction(24000, 1001),
    "29.97": Fraction(30000, 1001),
    "47.952": Fraction(48000, 1001),
    "59.94": Fraction(60000, 1001),
    "119.88": Fraction(120000, 1001),
}


class RateError(ValueError):
    """A frame rate that cannot be read."""


def parse_rate(value) -> Fraction:
    """A frame rate from Resolve's string ("23.976", "25", "29.97 DF"), a number or a Fraction."""
    if isinstance(value, Fraction):
        return value
    text = str(value).strip().upper().replace("NDF", "").replace("DF", "").strip()
    if not text:
        raise RateError("empty frame rate")
    if text in _NTSC:
        return _NTSC[text]
    try:
        number = float(text)
    except ValueError:
        raise RateError(f"not a frame rate: {value!r}") from None
    if number <= 0:
        raise RateError(f"not a frame rate: {value!r}")
    for exact in _NTSC.values():  # 23.976023... from a float setting
        if abs(number - float(exact)) < 0.0015:
            return exact
    rate = Fraction(number).limit_denominator(1001)
    if abs(float(rate) - round(number)) < 1e-6:
        rate = Fraction(round(number))
    return rate


def seconds_to_frames(seconds: float, rate: Fraction) -> int:
    """The nearest frame to ``seconds``; seconds come from the analysis in float, frames are exact rationals."""
    return round(Fraction(seconds).limit_denominator(10**9) * rate)


def nominal(rate: Fraction) -> int:
    """Frames per timecode second: 24 for 23.976, 30 for 29.97."""
    return round(rate)


def frames_to_timecode(frames: int, rate: Fraction, drop_frame: bool = False) -> str:
    """HH:MM:SS:FF (HH:MM:SS;FF with drop-frame for 29.97 / 59.94)."""
    fps = nominal(rate)
    if drop_frame and fps in (30, 60):
        drop = 2 if fps == 30 else 4
        per_ten = fps * 600 - drop * 9
        tens, rest = divmod(frames, per_ten)
        if rest > drop:
            frames += drop * 9 * tens + drop * ((rest - drop) // (fps * 60 - drop))
        else:
            frames += drop * 9 * tens
    ff = frames % fps
    ss = frames // fps % 60
    mm = frames // (fps * 60) % 60
    hh = frames // (fps * 3600)
    sep = ";" if drop_frame else ":"
    return f"{hh:02d}:{mm:02d}:{ss:02d}{sep}{ff:02d}"


def check_timecode(timecode: str, rate: Fraction) -> None:
    """Raise RateError unless ``timecode`` is one a clock at ``rate`` shows: frames below the rate,
    seconds and minutes below 60, and in drop-frame no ;00 or ;01 at a minute not divisible by ten."""
    text = timecode.strip()
    parts = text.replace(";", ":").replace(".", ":").split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise RateError(f"not a timecode: {timecode!r} (HH:MM:SS:FF)")
    _hh, mm, ss, ff = (int(p) for p in parts)
    if mm > 59 or ss > 59 or ff >= nominal(rate):
        raise RateError(f"not a timecode at {float(rate):g} fps: {timecode!r}")
    dropped = 2 if nominal(rate) == 30 else 4
    if (";" in text or "." in text) and ss == 0 and ff < dropped and mm % 10:
        raise RateError(f"{timecode!r} does not exist in drop-frame timecode (that minute starts at ;{dropped:02d})")


def timecode_to_frames(timecode: str, rate: Fraction) -> int:
    """Frame count of HH:MM:SS:FF (';' or '.' before FF marks drop-frame)."""
    text = timecode.strip()
    drop_frame = ";" in text or "." in text
    parts = text.replace(";", ":").replace(".", ":").split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise RateError(f"not a timecode: {timecode!r}")
    hh, mm, ss, ff = (int(p) for p in parts)
    fps = nominal(rate)
    frames = ((hh * 60 + mm) * 60 + ss) * fps + ff
    if drop_frame and fps in (30, 60):
        drop = 2 if fps == 30 else 4
        minutes = hh * 60 + mm
        frames -= drop * (minutes - minutes // 10)
    return frames
