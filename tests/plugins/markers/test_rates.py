"""Frame rates and timecode: rounded and float rates to exact rationals, and timecode round trips,
29.97 and 59.94 drop-frame included."""

from __future__ import annotations

from fractions import Fraction

import pytest

from avevents.plugins.markers.rates import (
    RateError,
    frames_to_timecode,
    nominal,
    parse_rate,
    seconds_to_frames,
    timecode_to_frames,
)

NTSC30 = Fraction(30000, 1001)


def test_rates_are_exact():
    assert parse_rate("29.97 DF") == parse_rate(29.97002997) == parse_rate(NTSC30) == NTSC30
    assert parse_rate("23.98") == Fraction(24000, 1001) and parse_rate(" 25 ") == 25 and parse_rate(50.0) == 50
    assert nominal(NTSC30) == 30 and nominal(Fraction(24000, 1001)) == 24
    for bad in ("", "fast", "-24", "0"):
        with pytest.raises(RateError):
            parse_rate(bad)


def test_drop_frame_timecode_skips_two_labels_a_minute_but_every_tenth():
    assert frames_to_timecode(1799, NTSC30, True) == "00:00:59;29"
    assert frames_to_timecode(1800, NTSC30, True) == "00:01:00;02"  # ;00 and ;01 do not exist
    assert frames_to_timecode(17982, NTSC30, True) == "00:10:00;00"  # minute 10 keeps them
    assert frames_to_timecode(107892, NTSC30, True) == "01:00:00;00"
    assert frames_to_timecode(107892, NTSC30) == "00:59:56:12"  # the same frame, non-drop
    assert timecode_to_frames("00:01:00;02", NTSC30) == timecode_to_frames("00:01:00.02", NTSC30) == 1800
    with pytest.raises(RateError):
        timecode_to_frames("1:00:00", NTSC30)


@pytest.mark.parametrize(
    ("rate", "drop"), [(NTSC30, True), (NTSC30, False), (Fraction(60000, 1001), True), (Fraction(25), False)]
)
def test_timecode_round_trips(rate, drop):
    for frames in [*range(0, 40), *range(1790, 1830), 17981, 17982, 17983, 107891, 107892, 2_589_407]:
        assert timecode_to_frames(frames_to_timecode(frames, rate, drop), rate) == frames


def test_seconds_to_frames_is_exact_hours_in():
    assert seconds_to_frames(3600.0, NTSC30) == 107892
    assert seconds_to_frames(36000.0, NTSC30) == 1078921  # the rounded 29.97 would say 1078920
    assert seconds_to_frames(3600 * 1001 / 1000, Fraction(24000, 1001)) == 86400  # 01:00:00:00 at 23.976
    assert seconds_to_frames(100 / float(NTSC30), NTSC30) == 100
