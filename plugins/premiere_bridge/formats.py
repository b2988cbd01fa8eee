"""Timeline formats the bridge reads and writes, through OpenTimelineIO's adapter plugins, and the
atomic write (a temp file renamed over the target: never a half-written timeline)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from avevents.core.errors import AvEventsError, InvalidRequest, TimelineUnreadable
from avevents.core.output_files import write_file


@dataclass(frozen=True)
class Format:
    name: str  # what --format takes
    adapter: str  # OTIO adapter name
    suffixes: tuple[str, ...]
    package: str  # the PyPI package holding the adapter ("" = OTIO itself)
    keeps_comments: bool  # marker comments (and so the bridge's tag) survive a write/read
    keeps_metadata: bool


FORMATS = {
    "otio": Format("otio", "otio_json", (".otio",), "", True, True),
    "otioz": Format("otioz", "otioz", (".otioz",), "", True, True),
    "fcp7xml": Format("fcp7xml", "fcp_xml", (".xml",), "otio-fcp-adapter", True, False),
    "fcpxml": Format("fcpxml", "fcpx_xml", (".fcpxml",), "otio-fcpx-xml-adapter", False, False),
    "edl": Format("edl", "cmx_3600", (".edl",), "otio-cmx3600-adapter", False, False),
}


def guess_format(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix == ".xml":  # FCP7 (xmeml) or FCPXML saved as .xml
        head = path.read_text(encoding="utf-8", errors="replace")[:2000]
        return FORMATS["fcpxml"] if "<fcpxml" in head else FORMATS["fcp7xml"]
    for fmt in FORMATS.values():
        if suffix in fmt.suffixes:
            return fmt
    raise InvalidRequest(f"{path}: unknown timeline format {suffix!r} (use --format: {', '.join(FORMATS)})")


def _adapter_available(fmt: Format) -> None:
    import opentimelineio as otio

    names = {a.name for a in otio.plugins.ActiveManifest().adapters}
    if fmt.adapter not in names:
        raise TimelineUnreadable(
            f"reading and writing {fmt.name} needs the {fmt.package} adapter: pip install 'avevents[otio]'"
        )


def read_timeline(path: Path, fmt: Format, rate: float | None = None):
    """The timeline in ``path`` (``rate``: an EDL's frame rate, which the file does not carry)."""
    import opentimelineio as otio

    if not path.is_file():
        raise TimelineUnreadable(f"{path}: no such file")
    _adapter_available(fmt)
    if fmt.name == "fcpxml" and 'frameDuration="1001/' in path.read_text(encoding="utf-8", errors="replace"):
        # otio-fcpx-xml-adapter 1.0 reads 1001/24000s as 23 fps (int()), which would misplace every marker.
        raise TimelineUnreadable(
            f"{path}: FCPXML at an NTSC rate (23.976 / 29.97 / 59.94) is read as a whole-number rate by the "
            "FCPXML adapter, which would misplace markers; export FCP7 XML or OpenTimelineIO instead"
        )
    kwargs = {"rate": _edl_rate(rate)} if fmt.name == "edl" else {}
    try:
        result = otio.adapters.read_from_file(str(path), adapter_name=fmt.adapter, **kwargs)
    except Exception as exc:  # adapters raise anything from ParseError to KeyError on bad input
        raise TimelineUnreadable(f"{path}: not a readable {fmt.name} timeline ({type(exc).__name__}: {exc})") from None
    if isinstance(result, otio.schema.SerializableCollection):  # FCPXML / FCP7 with several sequences
        timelines = list(result.find_children(descended_from_type=otio.schema.Timeline))
        if not timelines:
            raise TimelineUnreadable(f"{path}: holds no timeline")
        return timelines[0] if len(timelines) == 1 else result
    return result


def _add_ntsc_frame_durations() -> None:
    """otio-fcpx-xml-adapter 1.0 knows NTSC rates only as 23.98 / 29.97 / 59.94 in a lookup table, so a
    timeline read from FCP (24000/1001 exactly) cannot be written back (empty frameDuration, then a
    crash). Add the exact rates to that table (a no-op where they are already there)."""
    import opentimelineio as otio

    adapter = next(a for a in otio.plugins.ActiveManifest().adapters if a.name == "fcpx_xml")
    module = adapter.module()  # the module as OTIO loaded it (its own copy, not otio_fcpx_xml_adapter's)
    if not isinstance(module.FRAMERATE_FRAMEDURATION, _NearestRate):
        table = _NearestRate(module.FRAMERATE_FRAMEDURATION)
        for numerator in (24000, 30000, 48000, 60000):
            table[numerator / 1001] = f"1001/{numerator}s"
        module.FRAMERATE_FRAMEDURATION = table


class _NearestRate(dict):
    """Frame durations looked up by rate within a thousandth (a rate read back as 1 / (1001/24000)
    is not bit-equal to 24000 / 1001); whole-number keys stay exact (25 is not 24.976)."""

    def get(self, key, default=None):
        if isinstance(key, int) or float(key).is_integer():
            return super().get(key, default)
        for rate, duration in self.items():
            if abs(float(rate) - float(key)) < 1e-3:
                return duration
        return default


def _edl_rate(rate: float | None) -> float:
    if rate is None:
        raise InvalidRequest("an EDL does not say its frame rate: give --rate (e.g. 23.976, 25, 29.97)")
    return rate


def write_timeline(timeline, path: Path, fmt: Format) -> None:
    """Serialise, then write with the one safe writer (``core.output_files``): a failed write leaves the
    old file as it was and no temp file; a device or FIFO is written to, never renamed over; an existing
    file keeps its permissions."""
    import opentimelineio as otio

    _adapter_available(fmt)
    if fmt.name == "fcpxml":
        _add_ntsc_frame_durations()
    try:
        text = otio.adapters.write_to_string(timeline, adapter_name=fmt.adapter)
    except Exception as exc:
        raise AvEventsError(f"could not write {path} ({type(exc).__name__}: {exc}); nothing was written") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file(path, lambda fh: fh.write(text))
