"""``avevents otio IN``: the timeline of any editor (FCP7 XML from Premiere, FCPXML, EDL, .otio) written
back with event markers added."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from avevents.cli.output import batch_progress


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("otio", help="add event markers to an exported timeline (Premiere FCP7 XML, FCPXML, EDL, OTIO)")
    p.add_argument("source", type=Path, metavar="IN", help="the exported timeline")
    p.add_argument("-o", "--output", type=Path, help="where to write (default: IN's name + .avevents, same format)")
    p.add_argument("--format", choices=("otio", "otioz", "fcp7xml", "fcpxml", "edl"), help="output format")
    p.add_argument("--scope", choices=("clips", "timeline"), default="clips", help="markers on clips or the timeline")
    p.add_argument("--labels", default="", help="comma-separated labels (default: the pack's)")
    p.add_argument("--pack", default="", help="label pack (default: the best installed)")
    p.add_argument("--sensitivity", type=float, help="0-1 (0.5: the detectors' own thresholds)")
    p.add_argument("--search-path", type=Path, action="append", default=[], metavar="DIR",
                   help="folder to find moved media in, by file name (repeatable)")  # fmt: skip
    p.add_argument("--rate", help="an EDL's frame rate (EDLs do not carry one): 23.976, 25, 29.97, 24000/1001...")
    p.add_argument("--project", default="", help="an FCPXML library's project to mark (default: every project)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--in-process", action="store_true", help="never use the daemon")
    where.add_argument("--daemon", action="store_true", help="require the running daemon")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from avevents.core.paths import config_dir
    from avevents.daemon.batch import open_batch
    from avevents.plugins.markers.palette import PALETTE_FILE, load_palette
    from avevents.plugins.premiere_bridge.bridge import BridgeOptions, add_event_markers
    from avevents.plugins.resolve.defaults import load_defaults

    defaults = load_defaults(config_dir())  # the tray's saved defaults, where no flag says otherwise
    options = BridgeOptions(
        scope=args.scope,
        labels=tuple(x.strip() for x in args.labels.split(",") if x.strip()) or tuple(defaults["labels"]),
        pack=args.pack or defaults["pack"],
        sensitivity=args.sensitivity if args.sensitivity is not None else defaults["sensitivity"],
        search_paths=list(args.search_path),
        rate=args.rate,
        project=args.project,
    )
    batch = open_batch("in-process" if args.in_process else "daemon" if args.daemon else "auto")
    try:
        report = add_event_markers(
            args.source,
            args.output,
            args.format,
            options,
            batch,
            load_palette(config_dir() / PALETTE_FILE),
            batch_progress,
        )
    finally:
        batch.close()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    for line in report.lines():
        print(line)
    return 0 if not any(c.status == "failed" for c in report.clips) else 1
