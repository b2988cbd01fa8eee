"""The timeline bridge over every real export in ../shared/timelines and hostile variants of them.

    python bench/timelines.py                 # the per-fixture table
    python bench/timelines.py --big 2000      # also a 2000-clip FCP7 sequence: time and peak memory

For each timeline: media of the names, rates, lengths and start timecodes it expects is made (cut clips,
96x54, PyAV), relinked with ``--search-path``, and ``avevents otio --in-process --labels "Scene cut"``
runs twice (on the input, then on its own output). Columns: clips reported, marked / skipped / failed,
markers added, whether the output is the input plus markers (EDL: the same bytes once our LOC lines are
gone; FCP7 XML / FCPXML: the same canonical XML once our <marker> elements are gone; .otio: the same
JSON once our markers are gone) and whether the second run changed nothing. The media is found with
independent readers (ElementTree, regular expressions, OTIO), not the bridge's, so the script also
measures an older bridge: ``PYTHONPATH=<dir holding an avevents link to an old checkout>``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test suite's clip maker: ``tests.media_factory``

SHARED = ROOT.parent / "shared" / "timelines"
EDL_RATES = {"25fps.edl": "25"}  # the others are 24 fps (their frames never pass 23)
TC = re.compile(r"(\d\d)[:;](\d\d)[:;](\d\d)[:;](\d\d)")


def _name(url: str) -> str:
    path = urllib.parse.unquote(urllib.parse.urlparse(url).path if url.lower().startswith("file:") else url)
    return re.split(r"[\\/]", path)[-1]


def _rate(node) -> Fraction | None:
    base = node.findtext("rate/timebase") if node is not None else None
    if not base:
        return None
    return Fraction(base) * (Fraction(1000, 1001) if node.findtext("rate/ntsc") == "TRUE" else 1)


def media_needed(path: Path, rate: str) -> dict[str, tuple[float, float, Fraction]]:
    """{file name: (start timecode seconds, length seconds, frame rate)} that ``path`` expects."""
    need: dict[str, list] = {}

    def want(name, start, end, fps):
        if name:
            old = need.get(name, [start, end, fps])
            need[name] = [min(old[0], start), max(old[1], end), fps]

    if path.suffix == ".edl":
        fps = Fraction(rate)
        text = path.read_text(errors="replace")
        drop = bool(re.search(r"FCM:\s*DROP", text)) or bool(re.search(r"\d\d;\d\d\s", text))
        lines = text.splitlines()
        for index, line in enumerate(lines):
            codes = TC.findall(line)
            if len(codes) != 4 or not re.match(r"^\s*\d+\s", line):
                continue
            following = []
            for later in lines[index + 1 : index + 12]:
                if re.match(r"^\s*\d+\s", later) and len(TC.findall(later)) == 4:
                    break
                following.append(later)
            block = "\n".join(following)
            incoming = re.match(r"^\s*\d+\s+\S+\s+\S+\s+[DW]", line)  # a transition's line: the incoming clip
            found = (incoming and re.search(r"TO CLIP NAME:\s*(.+)", block)) or re.search(r"SOURCE FILE:\s*(.+)", block)
            found = found or re.search(r"FROM CLIP NAME:\s*(.+)", block)
            seconds = [((int(h) * 60 + int(m)) * 60 + int(s)) + int(f) / float(fps) for h, m, s, f in codes[:2]]
            name = found.group(1).strip() if found else line.split()[1]
            want(name, seconds[0], seconds[1], fps)
        return {n: (int(a), b - int(a) + 1, f, drop) for n, (a, b, f) in need.items()}
    if path.suffix == ".otio":
        import opentimelineio as otio

        timeline = otio.adapters.read_from_file(str(path))
        clips = [timeline] if isinstance(timeline, otio.schema.Clip) else timeline.find_clips()
        for clip in clips:
            ref = clip.media_reference
            if isinstance(ref, otio.schema.ExternalReference) and ref.target_url:
                used = clip.trimmed_range()
                origin = ref.available_range.start_time.to_seconds() if ref.available_range else 0.0
                end = used.end_time_exclusive().to_seconds() - origin
                want(_name(ref.target_url), 0.0, end, Fraction(used.start_time.rate).limit_denominator(1001))
        return {n: (0.0, b + 1, f) for n, (a, b, f) in need.items()}
    root = ET.parse(path).getroot()
    if root.tag == "xmeml":
        for clip in root.iter("clipitem"):
            file = clip.find("file")
            if file is None:
                continue
            if file.find("pathurl") is None:
                file = next((f for f in root.iter("file") if f.get("id") == file.get("id") and f.find("pathurl")
                             is not None), None)  # fmt: skip
            fps = _rate(clip) or _rate(file) or Fraction(25)
            try:
                out = float(clip.findtext("out")) / float(fps)
            except (TypeError, ValueError):
                continue
            if file is not None:
                want(_name(file.findtext("pathurl")), 0.0, out, _rate(file) or fps)
        return {n: (0.0, b + 1, f) for n, (a, b, f) in need.items()}
    formats = {f.get("id"): f for f in root.iter("format")}
    for asset in root.iter("asset"):
        reps = [r.get("src") for r in asset.iter("media-rep")] + [asset.get("src")]
        src = next((s for s in reps if s), None)
        duration = asset.get("duration", "0s")[:-1] or "0"
        frame = formats.get(asset.get("format"))
        fps = 1 / Fraction(frame.get("frameDuration")[:-1]) if frame is not None and frame.get("frameDuration") else 25
        if src and asset.get("hasVideo", "1") != "0":
            want(_name(src), 0.0, float(Fraction(duration)), Fraction(fps).limit_denominator(1001))
    return {n: (0.0, b + 1, f) for n, (a, b, f) in need.items()}


def make_media(folder: Path, need: dict) -> None:
    from tests import media_factory

    for name, (start, length, fps, *drop) in need.items():
        target = folder / name
        if target.exists():
            continue
        separator = ";" if drop and drop[0] else ":"  # drop-frame timecode for a drop-frame EDL
        hours, minutes, seconds = int(start) // 3600, int(start) // 60 % 60, int(start) % 60
        tc = f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}00" if start else None
        made = folder / f".making{Path(name).suffix if Path(name).suffix in ('.mov', '.mp4') else '.mov'}"
        media_factory.write_cut_clip(made, Fraction(fps), (96, 54), min(length, 900), flash=False, fade=False,
                                     timecode=tc)  # fmt: skip
        made.rename(target)


def _strip_own(path: Path) -> object:
    """The file with every avevents marker taken out, in the form compared (bytes, canonical XML, JSON)."""
    data = path.read_bytes()
    if path.suffix == ".edl":
        lines = data.decode("utf-8", "surrogateescape").splitlines(keepends=True)
        kept = [x for x in lines if not (re.match(r"\s*\*\s*LOC", x) and x.rstrip().upper().endswith("(AVEVENTS)"))]
        return "".join(kept).rstrip("\r\n").encode("utf-8", "surrogateescape")
    if path.suffix == ".otio":  # through OTIO: what it reads, without our markers
        import opentimelineio as otio

        timeline = otio.adapters.read_from_file(str(path))
        items = [timeline] if isinstance(timeline, otio.schema.Clip) else [timeline, *timeline.find_children()]
        for item in [*items, getattr(timeline, "tracks", None)]:
            for marker in [m for m in getattr(item, "markers", []) if "avevents" in m.metadata]:
                item.markers.remove(marker)
        return json.loads(otio.adapters.write_to_string(timeline, "otio_json").replace("Infinity", "1e999"))
    root = ET.fromstring(data)
    for parent in root.iter():
        for marker in parent.findall("marker"):
            text = " ".join([marker.findtext("comment") or "", marker.findtext("name") or "", marker.get("value", ""),
                             marker.get("note", "")])  # fmt: skip
            if "[avevents " in text or "(avevents)" in text:
                parent.remove(marker)
    return ET.canonicalize(ET.tostring(root), strip_text=True)


def run_bridge(source: Path, output: Path, media: Path, rate: str) -> tuple[int, str, float]:
    command = [sys.executable, "-m", "avevents.cli.main", "otio", str(source), "-o", str(output), "--in-process",
               "--labels", "Scene cut", "--search-path", str(media)]  # fmt: skip
    if source.suffix == ".edl":
        command += ["--rate", rate]
    env = {**os.environ, "AVEVENTS_CACHE": "off"}  # measure the analysis, not the result cache
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, env=env)
    return done.returncode, done.stdout + done.stderr, time.perf_counter() - started


def summarise(printed: str) -> dict:
    first = next((x for x in printed.splitlines() if "marker(s) added" in x), "")
    counts = {k: sum(1 for x in printed.splitlines() if x.startswith(k + ":")) for k in ("skipped", "failed")}
    added = re.search(r"(\d+) marker\(s\) added on (\d+) clip", first)
    return {
        "added": int(added.group(1)) if added else 0,
        "marked": int(added.group(2)) if added else 0,
        **counts,
        "traceback": "Traceback" in printed,
        "error": next((x for x in printed.splitlines() if x.startswith(("avevents: error", "error:"))), ""),
    }


def hostile(folder: Path) -> list[Path]:
    """Variants real exports contain in the wild but the shared ones lack."""
    folder = folder / "hostile"
    folder.mkdir(exist_ok=True)
    out = []
    df = folder / "drop_frame_2997.edl"
    df.write_text(
        "TITLE: DF\r\nFCM: DROP FRAME\r\n"
        "001  AX       V     C        01:00:00;00 01:00:12;00 00:59:59;28 01:00:11;28\r\n"
        "* FROM CLIP NAME: df_source.mov\r\n"
    )
    out.append(df)
    ndf = folder / "non_drop_2997.edl"
    ndf.write_text(
        "TITLE: NDF\nFCM: NON-DROP FRAME\n"
        "001  AX       V     C        01:00:00:00 01:00:12:00 01:00:00:00 01:00:12:00\n"
        "* FROM CLIP NAME: ndf_source.mov\n"
    )
    out.append(ndf)
    return out


def fixtures(folder: Path) -> list[tuple[Path, str]]:
    found = []
    for path in sorted(SHARED.glob("*/*")):
        if path.suffix in (".edl", ".xml", ".fcpxml", ".otio"):
            found.append((path, EDL_RATES.get(path.name, "24")))
    found += [(p, "29.97") for p in hostile(folder)]
    return found


def measure(path: Path, rate: str, work: Path, media_root: Path) -> dict:
    media = media_root / f"{path.parent.name}-{path.stem}"
    media.mkdir(parents=True, exist_ok=True)
    row = {"fixture": f"{path.parent.name}/{path.name}"}
    try:
        need = media_needed(path, rate)
        make_media(media, need)
    except Exception as exc:  # a fixture that the independent reader cannot read either
        need = {}
        row["note"] = f"media not made: {type(exc).__name__}"
    first, second = work / f"first{path.suffix}", work / f"second{path.suffix}"
    code, printed, seconds = run_bridge(path, first, media, rate)
    row.update(summarise(printed), code=code, seconds=round(seconds, 1))
    if code in (0, 1) and not first.exists():  # nothing could be marked: the input is left alone
        row["identical"] = row["idempotent"] = "not written"
    elif code in (0, 1):
        try:
            row["identical"] = _strip_own(first) == _strip_own(path)
        except Exception as exc:  # an output the reader cannot read back is a finding
            row["identical"] = f"unreadable ({type(exc).__name__})"
        run_bridge(first, second, media, rate)
        row["idempotent"] = second.exists() and second.read_bytes() == first.read_bytes()
    return row


def big_timeline(folder: Path, clips: int, media_root: Path) -> dict:
    """An FCP7 sequence of ``clips`` clipitems over 20 files: wall time and peak memory of the bridge."""
    media = media_root / "big"
    media.mkdir(parents=True, exist_ok=True)
    make_media(media, {f"take_{i:02d}.mov": (0.0, 61.0, Fraction(25)) for i in range(20)})
    items = []
    for i in range(clips):
        start = i * 25
        file = f'<file id="f{i % 20}"><name>take_{i % 20:02d}.mov</name><pathurl>file:///gone/take_{i % 20:02d}.mov' \
               "</pathurl></file>" if i < 20 else f'<file id="f{i % 20}"/>'  # fmt: skip
        inn = (i // 20) % 60 * 25
        items.append(f"<clipitem id='c{i}'><name>take_{i % 20:02d}</name><rate><timebase>25</timebase><ntsc>FALSE"
                     f"</ntsc></rate><start>{start}</start><end>{start + 25}</end><in>{inn}</in><out>{inn + 25}</out>"
                     f"{file}</clipitem>")  # fmt: skip
    xml = ("<?xml version='1.0' encoding='UTF-8'?>\n<xmeml version='4'><sequence><name>big</name><rate><timebase>25"
           "</timebase><ntsc>FALSE</ntsc></rate><media><video><track>\n" + "\n".join(items) +
           "\n</track></video></media></sequence></xmeml>\n")  # fmt: skip
    source = folder / "big.xml"
    source.write_text(xml)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    code, printed, seconds = run_bridge(source, folder / "big.out.xml", media, "25")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"clips": clips, "code": code, "seconds": round(seconds, 1), "peak_rss_mb": round(max(peak, before) / 1024),
            **summarise(printed)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big", type=int, default=0, help="also a timeline of this many clips")
    parser.add_argument("--only", default="", help="fixtures whose name holds this")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    parser.add_argument(
        "--media", type=Path, help="keep the media made here (and reuse it: an older bridge is measured on the same)"
    )
    args = parser.parse_args()
    if not SHARED.is_dir():
        print(f"no shared timelines at {SHARED}")
        return 2
    rows = []
    with tempfile.TemporaryDirectory(prefix="avtl-") as tmp:
        folder = Path(tmp)
        header = f"{'fixture':42} {'exit':>4} {'marked':>6} {'skip':>4} {'fail':>4} {'added':>5} " \
                 f"{'identical':>10} {'idempotent':>10} {'s':>6}  note"  # fmt: skip
        print(header)
        for path, rate in fixtures(folder):
            if args.only and args.only not in path.name:
                continue
            work = folder / path.stem
            work.mkdir(exist_ok=True)
            row = measure(path, rate, work, args.media or folder / "media")
            rows.append(row)
            note = "traceback" if row.get("traceback") else row.get("error", "") or row.get("note", "")
            print(f"{row['fixture'][:42]:42} {row['code']:>4} {row.get('marked', 0):>6} {row.get('skipped', 0):>4} "
                  f"{row.get('failed', 0):>4} {row.get('added', 0):>5} {row.get('identical', '-')!s:>10} "
                  f"{row.get('idempotent', '-')!s:>10} {row['seconds']:>6}  {note[:60]}", flush=True)  # fmt: skip
        if args.big:
            big = big_timeline(folder, args.big, args.media or folder / "media")
            rows.append({"fixture": f"{args.big}-clip FCP7", **big})
            print(f"\n{args.big}-clip FCP7 sequence (20 files of 61 s, 1-s clips): exit {big['code']}, "
                  f"{big['seconds']} s, peak RSS {big['peak_rss_mb']} MB, {big['added']} markers on {big['marked']} "
                  "clips")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
