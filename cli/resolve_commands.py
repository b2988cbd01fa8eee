"""``avevents resolve install | uninstall | detect | clear``: the DaVinci Resolve integration."""

from __future__ import annotations

import argparse
import sys

from avevents.cli.output import batch_progress
from avevents.core.errors import AvEventsError, DaemonUnavailable


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("resolve", help="DaVinci Resolve: install the Detect events scripts, or run them from here")
    rsub = p.add_subparsers(dest="resolve_command", required=True, metavar="ACTION")
    i = rsub.add_parser("install", help="put the menu scripts where Resolve finds them (Edit and every page)")
    where = i.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_const", const="user", dest="scope", help="this user (default)")
    where.add_argument("--system", action="store_const", const="system", dest="scope", help="all users (admin)")
    i.add_argument("--scripts-dir", help="Resolve's Fusion/Scripts folder, when it is somewhere unusual")
    i.add_argument("--dry-run", action="store_true", help="say what would be written, write nothing")
    i.set_defaults(func=install, scope="user")
    u = rsub.add_parser("uninstall", help="remove the scripts avevents installed (nothing else)")
    u.add_argument("--dry-run", action="store_true")
    u.set_defaults(func=uninstall)
    d = rsub.add_parser("detect", help="markers on the current timeline of a running Resolve Studio (external)")
    d.add_argument("--scope", choices=("timeline", "inout", "playhead"), default="timeline")
    d.add_argument("--video-tracks", default="all", help="'all', 'none' or numbers like 1,3")
    d.add_argument("--audio-tracks", default="all", help="'all', 'none' or numbers like 1,3")
    d.add_argument("--pack", default="", help="label pack (default: the daemon's default)")
    d.add_argument("--labels", default="", help="comma-separated labels (default: the pack's)")
    d.add_argument("--sensitivity", type=float, help="0-1 (0.5: the detectors' own thresholds)")
    d.set_defaults(func=detect)
    c = rsub.add_parser("clear", help="remove avevents' markers from the current timeline (yours stay)")
    c.add_argument("--scope", choices=("timeline", "inout", "playhead"), default="timeline")
    c.set_defaults(func=clear)


def install(args: argparse.Namespace) -> int:
    from avevents.plugins.resolve.install import install as do_install

    for change in do_install(args.scope, args.scripts_dir, args.dry_run):
        print(f"{'would write' if args.dry_run else 'wrote'} {change.path}")
    if not args.dry_run:
        print("Restart Resolve, then: Workspace > Scripts > Detect events (avevents). Python menu scripts need Studio.")
    return 0


def uninstall(args: argparse.Namespace) -> int:
    from avevents.plugins.resolve.install import uninstall as do_uninstall

    changes = do_uninstall(args.dry_run)
    for change in changes:
        verb = {"remove": "would remove" if args.dry_run else "removed", "keep": "kept"}[change.action]
        print(f"{verb} {change.path}" + (f" ({change.reason})" if change.reason else ""))
    if not changes:
        print("nothing installed by avevents")
    return 0


def _palette():
    from avevents.core.paths import config_dir
    from avevents.plugins.markers.palette import PALETTE_FILE, load_palette

    return load_palette(config_dir() / PALETTE_FILE)


def detect(args: argparse.Namespace) -> int:
    from avevents.core.paths import config_dir
    from avevents.plugins.resolve.app import DetectSettings, detect_events
    from avevents.plugins.resolve.defaults import load_defaults
    from avevents.plugins.resolve.external import connect
    from avevents.plugins.resolve.link import LinkError
    from avevents.plugins.resolve.scope import ScopeError, ScopeOptions
    from avevents.plugins.resolve.service import DirectLink
    from avevents.plugins.resolve.ui import parse_tracks

    defaults = load_defaults(config_dir())
    link = DirectLink()
    try:
        settings = DetectSettings(
            ScopeOptions(args.scope, parse_tracks(args.video_tracks), parse_tracks(args.audio_tracks)),
            pack=args.pack or defaults["pack"],
            labels=[x.strip() for x in args.labels.split(",") if x.strip()] or defaults["labels"],
            sensitivity=args.sensitivity if args.sensitivity is not None else defaults["sensitivity"],
        )
        summary = detect_events(connect(), settings, link, _palette(), batch_progress)
    except LinkError as exc:
        if exc.kind == "DaemonUnavailable":
            raise DaemonUnavailable(exc.message) from None
        raise AvEventsError(exc.message) from None
    except ScopeError as exc:
        raise AvEventsError(str(exc)) from None
    finally:
        link.close()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    for line in summary.lines():
        print(line)
    return 0


def clear(args: argparse.Namespace) -> int:
    from avevents.plugins.resolve.app import clear_markers
    from avevents.plugins.resolve.external import connect
    from avevents.plugins.resolve.scope import ScopeError, ScopeOptions

    try:
        count = clear_markers(connect(), ScopeOptions(args.scope))
    except ScopeError as exc:
        raise AvEventsError(str(exc)) from None
    print(f"removed {count} avevents marker(s); your own markers were not touched")
    return 0
