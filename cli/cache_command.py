"""``avevents cache info | clear``: the result cache (see ``avevents.engine.result_cache``)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cache", help="the result cache: re-runs with other labels or thresholds skip analysis")
    csub = p.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    csub.add_parser("info", help="where it is, entries, size and limit").set_defaults(func=info)
    csub.add_parser("clear", help="delete every cached analysis").set_defaults(func=clear)


def info(args: argparse.Namespace) -> int:
    from avevents.engine.result_cache import info as cache_info

    facts = cache_info(args.settings.cache)
    state = "on" if facts["enabled"] else "off (AVEVENTS_CACHE=off)"
    print(f"result cache: {facts['path']} ({state})")
    print(f"{facts['entries']} entries, {facts['bytes'] / 2**20:.1f} MB of {facts['limit_bytes'] / 2**20:.0f} MB")
    return 0


def clear(args: argparse.Namespace) -> int:
    from avevents.engine.result_cache import ResultCache

    print(f"removed {ResultCache.configured(args.settings.cache).clear()} cached analyses")
    return 0
