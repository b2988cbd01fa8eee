"""Entry point of the ``avevents`` console script."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from avevents.core.errors import AvEventsError
from avevents.core.settings import Settings

from . import (
    cache_command,
    daemon_commands,
    detect,
    otio_command,
    resolve_commands,
    sample,
    train_commands,
    tray_command,
    triton_command,
)

EXIT_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avevents",
        description="Detect audio-visual events (speech, silence, transients, scene cuts...) in media files.",
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("AVEVENTS_LOG_LEVEL", "WARNING"),
        help="DEBUG, INFO, WARNING (default) or ERROR",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    detect.add_parser(sub)
    daemon_commands.add_parsers(sub)
    sample.add_parser(sub)
    resolve_commands.add_parser(sub)
    otio_command.add_parser(sub)
    tray_command.add_parser(sub)
    train_commands.add_parsers(sub)
    cache_command.add_parser(sub)
    triton_command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = "INFO" if args.command == "serve" and args.log_level == "WARNING" else args.log_level
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The one read of the AVEVENTS_* settings; commands pass them down (``serve`` lays its flags over them).
    args.settings = Settings.from_environment()
    try:
        return args.func(args)
    except AvEventsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``avevents labels | head``): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
