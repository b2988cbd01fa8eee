"""``avevents detect FILE...``: events for local media, via the running daemon or in-process."""

from __future__ import annotations

import argparse
import logging
import sys
import threading

from avevents.core.errors import AvEventsError, DaemonUnavailable, InvalidRequest
from avevents.core.output_files import check_writable
from avevents.core.results import DetectOptions, DetectResult, LabelOptions, ProgressUpdate
from avevents.daemon.client import DaemonClient

from .output import (
    OUTPUT_KINDS,
    RESOLVE_TIMELINE_START,
    MarkerSettings,
    media_summary,
    salient_table,
    table,
    write_output,
)

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("detect", help="detect events in media files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--labels", help="comma-separated labels to detect (default: all of the pack's)")
    p.add_argument("--pack", default="", help="detector pack (default: builtin)")
    p.add_argument(
        "--range",
        dest="source_range",
        metavar="START-END",
        help="only this part of the media, in seconds (e.g. 12.5-40)",
    )
    p.add_argument("--threshold", type=float, help="score (0-1) at which an event starts, for every label")
    p.add_argument("--release", type=float, help="score below which an event ends (hysteresis)")
    p.add_argument("--min-length", type=float, help="drop events shorter than this many seconds")
    p.add_argument("--merge-gap", type=float, help="merge events closer than this many seconds")
    p.add_argument("--audio-stream", type=int, help="which audio stream to analyse (0-based)")
    p.add_argument("--no-cache", action="store_true", help="analyse again even when the result cache has the file")
    p.add_argument(
        "--keyframes-only", action="store_true", help="pictures from key frames only: faster for long files (no cuts)"
    )
    p.add_argument(
        "--sensitivity", type=float, help="0-1: 0.5 keeps each detector's thresholds, higher finds more, lower fewer"
    )
    p.add_argument("--json", metavar="PATH", help="write results as JSON ('-' for standard output)")
    p.add_argument("--csv", metavar="PATH", help="write events as CSV ('-' for standard output)")
    p.add_argument("--otio", metavar="PATH", help="write an OpenTimelineIO timeline with a marker per event")
    from avevents.plugins.marker_files import KINDS

    markers = p.add_argument_group("marker files (one media file each; editors import them without a timeline)")
    for kind in KINDS.values():
        markers.add_argument(f"--{kind.name}", metavar="PATH", help=f"write {kind.title}")
    markers.add_argument("--start-tc", metavar="TC", help="timecode of the media's first frame (default: its own; "
                         f"Resolve's marker EDL: {RESOLVE_TIMELINE_START}, its timelines' start)")  # fmt: skip
    markers.add_argument("--rate", help="count frames at this rate (default: the media's; 25 without video)")
    markers.add_argument("--timecode", choices=("auto", "df", "ndf"), default="auto",
                         help="drop-frame or not (auto: drop-frame at 29.97 and 59.94)")  # fmt: skip
    p.add_argument("--recursive", action="store_true", help="FILE arguments may be folders: every media file in them")
    p.add_argument("--out", metavar="DIR", help="one result file per media file in DIR (resumable); see --format")
    p.add_argument("--format", choices=OUTPUT_KINDS, default="json", help="result files' format (--out)")
    p.add_argument("--force", action="store_true", help="with --out: analyse again files already done")
    p.add_argument(
        "--parallel",
        type=int,
        default=0,
        metavar="N",
        help="with --out: files analysed at once (default: the daemon's --jobs, at most 4; 1 in-process)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--in-process", action="store_true", help="never use the daemon")
    where.add_argument("--daemon", action="store_true", help="require the running daemon")
    p.add_argument(
        "--top",
        type=int,
        default=0,
        metavar="N",
        help="also list the N labels most present in each file (or --range), with their peak scores; with the "
        "audioset pack every one of the tagger's 527 labels is ranked",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no table or progress")
    p.set_defaults(func=run)


def options_from_args(args: argparse.Namespace) -> DetectOptions:
    source_range = None
    if args.source_range:
        try:
            start_text, end_text = args.source_range.split("-", 1)
            source_range = (float(start_text or 0), float(end_text))
        except ValueError:
            raise InvalidRequest(f"--range wants START-END in seconds, got {args.source_range!r}") from None
    labels = tuple(label.strip() for label in args.labels.split(",") if label.strip()) if args.labels else ()
    return DetectOptions(
        labels=labels,
        pack=args.pack,
        source_range=source_range,
        defaults=LabelOptions(args.threshold, args.release, args.min_length, args.merge_gap),
        audio_stream=args.audio_stream,
        sensitivity=args.sensitivity,
        use_cache=not args.no_cache,
        keyframes_only=args.keyframes_only,
        top=args.top,
    )


class _ProgressLine:
    """One self-overwriting progress line on a terminal; silent otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()

    def __call__(self, name: str, update: ProgressUpdate) -> None:
        if not self.enabled:
            return
        detail = update.message if update.stage == "queued" else f"{update.fraction * 100:5.1f}%"
        sys.stderr.write(f"\r{name}: {update.stage} {detail}".ljust(78)[:78])
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 78 + "\r")


def _runner(args: argparse.Namespace):
    """(description, function(path, options, on_progress) -> result)."""
    if not args.in_process:
        try:
            client = DaemonClient.connect(timeout=1.0)
            where = f"daemon at {client.address}"
            return where, client.detect
        except DaemonUnavailable:
            if args.daemon:
                raise
    from avevents.engine.pipeline import detect
    from avevents.engine.residency import ResidentModels

    models = ResidentModels(settings=args.settings)
    return "in-process", lambda path, options, on_progress: detect(
        path, options, models, threading.Event(), on_progress
    )


def _daemon_jobs(detect) -> int:
    """The daemon's job slots when ``detect`` goes to a daemon; 1 in-process."""
    from avevents.daemon.batch import job_slots

    client = getattr(detect, "__self__", None)
    return job_slots(client) if isinstance(client, DaemonClient) else 1


def marker_settings(args: argparse.Namespace) -> MarkerSettings:
    """The palette (the tray's saved one), rate and timecode every output's markers use."""
    from avevents.core.paths import config_dir
    from avevents.plugins.markers.palette import PALETTE_FILE, load_palette

    drop = {"auto": None, "df": True, "ndf": False}[args.timecode]
    return MarkerSettings(load_palette(config_dir() / PALETTE_FILE), args.rate, args.start_tc, drop)


def _analyse(detect, path: str, options: DetectOptions, progress: _ProgressLine) -> DetectResult | None:
    """One file's result, or None after printing its one-line error: one bad file among several on the
    command line must not cost the others their analysis.

    :param detect: ``function(path, options, on_progress) -> DetectResult``.
    """
    try:
        return detect(path, options, lambda u: progress(path, u))
    except AvEventsError as exc:
        message = str(exc)
    except Exception as exc:  # a bug one damaged file trips (in-process): report it, go on with the rest
        log.debug("analysing %s failed", path, exc_info=True)
        message = f"internal error: {type(exc).__name__}: {exc} (--log-level DEBUG shows where)"
    finally:
        progress.done()
    print(f"error: {message if path in message else f'{path}: {message}'}", file=sys.stderr)
    return None


def _print_result(result: DetectResult, where: str) -> None:
    """The table of one file's events, under a line about the media; ``where`` (str) says what ran it."""
    print(
        f"{result.media.path}  ({media_summary(result)}; {len(result.events)} events in "
        f"{result.elapsed_seconds:.2f} s, pack {result.pack}, {where})"
    )
    for warning in result.warnings:
        print(f"  note: {warning}")
    print(table(result))
    if result.salient:
        print()
        print(salient_table(result))
    print()


def run(args: argparse.Namespace) -> int:
    options = options_from_args(args)
    options.validate()
    targets = {
        kind: getattr(args, kind.replace("-", "_")) for kind in OUTPUT_KINDS if getattr(args, kind.replace("-", "_"))
    }
    settings = marker_settings(args)
    single = [k for k in targets if k not in ("json", "csv", "otio")]
    if single and len(args.files) > 1:
        raise InvalidRequest(f"a {single[0]} file holds one media file's markers: use --out DIR --format {single[0]}")
    for target in targets.values():
        check_writable(target)  # before the analysis: minutes of it must not end in "cannot write"
    where, detect = _runner(args)
    if args.out or args.recursive:
        from pathlib import Path

        from .batch import media_files, run_batch

        if not args.out:
            raise InvalidRequest("--recursive writes one result per file: give --out DIR")
        folders = [f for f in args.files if Path(f).is_dir()]
        if folders and not args.recursive:
            raise InvalidRequest(f"{folders[0]} is a folder: add --recursive to analyse the media in it")
        roots = args.files
        if not media_files(roots):
            raise InvalidRequest(f"no media file found in {', '.join(args.files)}")
        parallel = args.parallel or _daemon_jobs(detect)
        return run_batch(
            roots, Path(args.out), args.format, options, detect, args.quiet, args.force, parallel, settings
        )
    progress = _ProgressLine(not args.quiet)
    show = not args.quiet and "-" not in targets.values()
    results: list[DetectResult] = []
    for path in args.files:
        result = _analyse(detect, path, options, progress)
        if result is not None:
            results.append(result)
            if show:
                _print_result(result, where)
    if results:
        for kind, target in targets.items():
            write_output(kind, target, results, settings)
    failures = len(args.files) - len(results)
    if failures:
        return 2 if not results else 1
    return 0
