"""Timeline formats the bridge reads and writes, and which document edits each: EDL and FCP7 XML through
the user's own bytes (``edl``, ``fcp7``), everything else through OpenTimelineIO's adapter plugins
(``otio_document``); then the one safe writer (a temp file renamed over the target: never a
half-written timeline)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from avevents.core.errors import InvalidRequest, OutputUnwritable, TimelineUnreadable
from avevents.core.output_files import write_file
from avevents.plugins.markers.rates import RateError, parse_rate

TimelineUnwritable = OutputUnwritable  # a writer that refuses the timeline: said before the analysis


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
    """The format of the timeline in ``path``, by its suffix (and for .xml its root element)."""
    path = Path(path)
    if not path.exists():
        raise TimelineUnreadable(f"{path}: no such file")
    if path.is_dir():
        raise TimelineUnreadable(f"{path}: is a folder, not a timeline file")
    suffix = path.suffix.lower()
    if suffix == ".xml":  # FCP7 (xmeml) or FCPXML saved as .xml
        head = read_bytes(path)[:2000].decode("utf-8", errors="replace")
        return FORMATS["fcpxml"] if "<fcpxml" in head else FORMATS["fcp7xml"]
    for fmt in FORMATS.values():
        if suffix in fmt.suffixes:
            return fmt
    raise InvalidRequest(f"{path}: unknown timeline format {suffix!r} (use --format: {', '.join(FORMATS)})")


def format_of_output(path, in_format: Format) -> Format | None:
    """The format an output path's suffix names (None for another suffix): .xml is the input's format
    where that is FCP7 XML or FCPXML, else FCP7 XML."""
    suffix = Path(path).suffix.lower()
    if suffix == ".xml":
        return in_format if in_format.name in ("fcp7xml", "fcpxml") else FORMATS["fcp7xml"]
    return next((f for f in FORMATS.values() if suffix in f.suffixes), None)


def _adapter_available(fmt: Format) -> None:
    import opentimelineio as otio

    names = {a.name for a in otio.plugins.ActiveManifest().adapters}
    if fmt.adapter not in names:
        raise TimelineUnreadable(
            f"reading and writing {fmt.name} needs the {fmt.package} adapter: pip install 'avevents[otio]'"
        )


def edl_rate(rate) -> Fraction:
    """An EDL's rate from ``--rate`` (23.976, 29.97, 24000/1001, 25...): EDLs do not carry one."""
    if rate is None:
        raise InvalidRequest("an EDL does not say its frame rate: give --rate (e.g. 23.976, 25, 29.97)")
    try:
        if isinstance(rate, str) and "/" in rate:
            return parse_rate(Fraction(rate))
        return parse_rate(rate)
    except (RateError, ValueError, ZeroDivisionError):
        raise InvalidRequest(f"--rate {rate}: not a frame rate (e.g. 23.976, 25, 29.97, 24000/1001)") from None


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or one line saying why not."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise TimelineUnreadable(f"{path}: no such file") from None
    except IsADirectoryError:
        raise TimelineUnreadable(f"{path}: is a folder, not a timeline file") from None
    except OSError as exc:
        raise TimelineUnreadable(f"{path}: cannot be read ({exc.strerror or exc})") from None


def open_document(path: Path, in_format: Format, out_format: Format, rate=None, project: str = ""):
    """The document the bridge edits: the user's own file where it is written back in its format
    (EDL, FCP7 XML, FCPXML; ``project``: only that FCPXML project), else the OTIO object that the
    output format's adapter writes. Anything that would make the write fail is found here, before any
    analysis."""
    if in_format.name == "edl":
        rate = edl_rate(rate)
    if in_format == out_format and in_format.name == "edl":
        from .edl import EdlDocument

        return EdlDocument(read_bytes(path), str(path), rate)
    if in_format == out_format and in_format.name == "fcp7xml":
        from .fcp7 import Fcp7Document

        return Fcp7Document(read_bytes(path), str(path))
    if in_format == out_format and in_format.name == "fcpxml":
        from .fcpxml import FcpxmlDocument

        return FcpxmlDocument(read_bytes(path), str(path), project)
    import opentimelineio as otio

    from .document import Skip
    from .otio_document import OtioDocument

    timeline = read_timeline(path, in_format, rate)
    if isinstance(timeline, otio.schema.SerializableCollection) and (
        project or out_format.name not in ("otio", "otioz")
    ):
        timeline = _one_timeline(path, timeline, project)  # the other formats hold one timeline
    document = OtioDocument(timeline, out_format, in_format)
    document.serialize()  # a rate or structure the output's writer refuses fails now, not after the analysis
    pieces = [p for _t, _n, p in document.pieces()]
    if in_format != out_format and pieces and not any(not isinstance(p, Skip) for p in pieces):
        raise InvalidRequest(
            f"{path}: OpenTimelineIO's {in_format.name} reader, which a conversion to {out_format.name} goes "
            f"through, finds no media in it; write the markers in {in_format.name} (an -o name ending "
            f"{in_format.suffixes[0]}) and convert that"
        )
    return document


def _one_timeline(path: Path, collection, project: str):
    """The timeline named ``project`` (or the only one) of a collection."""
    import opentimelineio as otio

    timelines = list(collection.find_children(descended_from_type=otio.schema.Timeline))
    names = ", ".join(repr(t.name) for t in timelines) or "none"
    if project:
        chosen = [t for t in timelines if t.name == project]
        if not chosen:
            raise InvalidRequest(f"{path}: no project named {project!r} (its projects: {names})")
        return chosen[0]
    if len(timelines) != 1:
        raise InvalidRequest(f"{path}: holds {len(timelines)} projects ({names}): choose one with --project")
    return timelines[0]


def read_timeline(path: Path, fmt: Format, rate=None):
    """The timeline in ``path`` read by OTIO's adapter (``rate``: an EDL's frame rate, which the file does
    not carry)."""
    import opentimelineio as otio

    if not path.is_file():
        raise TimelineUnreadable(f"{path}: no such file")
    _adapter_available(fmt)
    if fmt.name == "fcpxml" and _ntsc_frame_durations(path.read_text(encoding="utf-8", errors="replace")):
        # otio-fcpx-xml-adapter 1.0 reads 1001/24000s as 23 fps (int()), which would misplace every marker;
        # written back as FCPXML the bridge edits the file itself and never meets this.
        raise TimelineUnreadable(
            f"{path}: FCPXML at an NTSC rate (23.976 / 29.97 / 59.94) is read as a whole-number rate by the "
            "FCPXML adapter, which would misplace markers in another format; write it back as FCPXML"
        )
    kwargs = {"rate": float(edl_rate(rate))} if fmt.name == "edl" else {}
    try:
        result = otio.adapters.read_from_file(str(path), adapter_name=fmt.adapter, **kwargs)
    except Exception as exc:  # adapters raise anything from ParseError to KeyError on bad input
        if type(exc).__name__ == "UnsupportedSchemaError":
            raise TimelineUnreadable(
                f"{path}: written by a newer OpenTimelineIO than the installed {otio.__version__} ({exc}); "
                "upgrade opentimelineio when a release reads it"
            ) from None
        raise TimelineUnreadable(f"{path}: not a readable {fmt.name} timeline ({type(exc).__name__}: {exc})") from None
    if isinstance(result, otio.schema.SerializableCollection):  # FCPXML / FCP7 with several sequences
        # Kept whole (its other timelines and loose clips are the user's too); a conversion to a format
        # that holds one timeline picks one (``_one_timeline``).
        timelines = list(result.find_children(descended_from_type=otio.schema.Timeline))
        if not timelines and not any(isinstance(c, otio.schema.Clip) for c in result.find_children()):
            raise TimelineUnreadable(f"{path}: holds no timeline and no clip")
        return result
    if not isinstance(result, (otio.schema.Timeline, otio.schema.Clip)):
        raise TimelineUnreadable(f"{path}: holds a {type(result).__name__}, not a timeline or a clip")
    return result


def _ntsc_frame_durations(text: str) -> list[str]:
    """The frame durations in an FCPXML text that are not a whole number of frames a second, in any
    spelling (1001/24000s, 15015/360000s, 2002/60000s)."""
    found = []
    for numerator, denominator in re.findall(r'frameDuration="(\d+)/(\d+)s"', text):
        if int(numerator) and Fraction(int(denominator), int(numerator)).denominator != 1:
            found.append(f"{numerator}/{denominator}s")
    return found


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


def serialize_otio(obj, fmt: Format) -> bytes:
    """``obj`` (a timeline, collection or clip) as ``fmt``'s adapter writes it."""
    import tempfile

    import opentimelineio as otio

    _adapter_available(fmt)
    if fmt.name == "fcpxml":
        _add_ntsc_frame_durations()
    try:
        if fmt.name == "otioz":  # a zip, which its adapter writes only to a file
            with tempfile.TemporaryDirectory() as folder:
                target = Path(folder) / "timeline.otioz"
                otio.adapters.write_to_file(obj, str(target), adapter_name=fmt.adapter)
                return target.read_bytes()
        return otio.adapters.write_to_string(obj, adapter_name=fmt.adapter).encode("utf-8")
    except Exception as exc:  # adapters raise anything on what they cannot write
        reason = f"{type(exc).__name__}: {exc}"
        raise TimelineUnwritable(f"the {fmt.name} writer cannot write this timeline ({reason})") from None


def write_bytes(path: Path, data: bytes) -> None:
    """Write with the one safe writer (``core.output_files``): a failed write leaves the old file as it
    was and no temp file; a device or FIFO is written to, never renamed over; an existing file keeps its
    permissions, a new one gets the umask's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file(path, lambda fh: fh.buffer.write(data) if hasattr(fh, "buffer") else fh.write(data))


def write_timeline(timeline, path: Path, fmt: Format) -> None:
    """Write an OTIO object in ``fmt`` (tests build their inputs with this)."""
    write_bytes(path, serialize_otio(timeline, fmt))
