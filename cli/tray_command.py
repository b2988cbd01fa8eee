"""``avevents tray``: the tray app (``tray`` extra)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tray", help="the tray app: daemon state and control, models, devices, jobs, settings")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from avevents.tray.qt import require_qt

    require_qt()
    from avevents.tray.app import main

    return main()
