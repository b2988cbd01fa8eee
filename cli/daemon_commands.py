"""``avevents serve``, ``status``, ``models`` and ``devices``."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
from collections.abc import Callable

from google.protobuf.json_format import MessageToDict

from avevents.core.errors import DaemonUnavailable, InvalidRequest
from avevents.core.settings import Settings
from avevents.daemon import connection_limits
from avevents.daemon.client import DaemonClient

from . import store_commands

log = logging.getLogger(__name__)


def _at_least(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``low`` (int)."""

    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    return whole_number


def _duration(text: str) -> float:
    """An argparse type: a duration, finite and not negative (NaN compares false with every bound, and an
    infinite grace or batch wait would never end)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number, not negative, got {text!r}")
    return value


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the daemon (keeps models resident, answers over gRPC)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--socket", metavar="PATH", help="Unix socket path (default: per-user runtime dir)")
    where.add_argument(
        "--tcp",
        metavar="[HOST:]PORT",
        help="listen on TCP with the per-user token: HOST 127.0.0.1 by default (others need --allow-remote), "
        "an IPv6 one in brackets ([::1]:50051); PORT 1-65535, or 0 for any free port",
    )
    p.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --tcp host (token required)")
    p.add_argument(
        "--max-connections-per-peer",
        type=_at_least(1),
        default=connection_limits.DEFAULT_PER_PEER,
        metavar="N",
        help="with --tcp: open connections one user (or, remote, one address) may hold (default: %(default)s)",
    )
    p.add_argument(
        "--max-connections",
        type=_at_least(1),
        default=connection_limits.DEFAULT_TOTAL,
        metavar="N",
        help="with --tcp: open connections in all, lowered to fit the file limit (default: %(default)s)",
    )
    p.add_argument(
        "--idle-timeout",
        type=_duration,
        default=300.0,
        metavar="SECONDS",
        help="with --tcp: close a connection idle this long (default: %(default)s)",
    )
    p.add_argument("--jobs", type=_at_least(1), default=1, help="detections running at once (default: %(default)s)")
    p.add_argument(
        "--runner",
        choices=("auto", "tensorrt", "torch", "onnxruntime", "triton"),
        default="auto",
        help="where the networks run (default: TensorRT, else torch CUDA, else ONNX Runtime)",
    )
    p.add_argument("--triton-url", help="the Triton server for --runner triton (e.g. http://gpu-box:8000)")
    p.add_argument(
        "--max-queue",
        type=_at_least(0),
        default=8,
        help="detections waiting before RESOURCE_EXHAUSTED (default: %(default)s)",
    )
    p.add_argument(
        "--shutdown-grace",
        type=_duration,
        default=5.0,
        help="seconds running jobs get to finish on SIGTERM (default: %(default)s)",
    )
    p.add_argument(
        "--cross-batching",
        choices=("auto", "on", "off"),
        default="auto",
        help="join concurrent jobs' batches on the device (default auto: on for a GPU, off on the CPU)",
    )
    p.add_argument(
        "--batch-wait-ms",
        type=_duration,
        default=None,
        metavar="MS",
        help="how long a batch may wait for another running job's (default: 2 ms; never when one job runs)",
    )
    p.add_argument(
        "--torch-compile",
        action="store_true",
        help="compile the torch runner's networks (torch.compile; CUDA graphs on a GPU); first batches compile",
    )
    p.add_argument(
        "--device-preprocess",
        choices=("auto", "on", "off"),
        default="auto",
        help="picture normalisation and the mel front end on the GPU (default auto: on a CUDA device)",
    )
    p.add_argument("--no-preload", action="store_true", help="load models on first use instead of at start")
    p.set_defaults(func=serve)

    p = sub.add_parser("status", help="is the daemon running; what it has loaded and is doing")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=status)

    p = sub.add_parser("models", help="list, load and unload models")
    msub = p.add_subparsers(dest="models_command", required=True)
    q = msub.add_parser("list", help="models available now, and which are loaded")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=models_list)
    for name, func, text in (
        ("load", models_load, "load into the running daemon"),
        ("unload", models_unload, "free it in the running daemon"),
    ):
        q = msub.add_parser(name, help=text)
        q.add_argument("name")
        if name == "load":
            q.add_argument("--device", default="", help="cpu (default) or cuda:N")
        q.set_defaults(func=func)
    store_commands.add_subparsers(msub)

    p = sub.add_parser("labels", help="labels a pack can detect")
    p.add_argument("--pack", default="", help="builtin or audioset (default: audioset when installed)")
    p.set_defaults(func=labels)

    p = sub.add_parser("devices", help="devices the daemon can run models on")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=devices)


def serve(args: argparse.Namespace) -> int:
    from avevents.daemon.server import Daemon, ServeConfig

    settings = serve_settings(args, args.settings)
    if settings.runner.backend == "triton" and not settings.runner.triton_url:
        raise InvalidRequest("--runner triton needs --triton-url")

    config = ServeConfig(
        socket_path=args.socket,
        tcp=args.tcp,
        allow_remote=args.allow_remote,
        tcp_max_per_peer=args.max_connections_per_peer,
        tcp_max_total=args.max_connections,
        tcp_idle_seconds=args.idle_timeout,
        max_running=args.jobs,
        max_queued=args.max_queue,
        shutdown_grace=args.shutdown_grace,
        preload=not args.no_preload,
    )
    asyncio.run(Daemon(config, settings).serve_forever())
    log.info("event loop closed")
    return 0


def serve_settings(args: argparse.Namespace, settings: Settings) -> Settings:
    """``settings`` (the environment's) with the ``serve`` flags laid over them: a flag left at auto keeps
    what the environment says."""
    switch = {"on": True, "off": False}
    changes: dict = {}
    if args.runner != "auto":
        changes["backend"] = args.runner
    if args.triton_url:
        changes["triton_url"] = args.triton_url
    if args.cross_batching != "auto":
        changes["cross_batching"] = switch[args.cross_batching]
    if args.torch_compile:
        changes["torch_compile"] = True
    if args.device_preprocess != "auto":
        changes["device_preprocess"] = switch[args.device_preprocess]
    if args.batch_wait_ms is not None:
        changes["batch_wait_ms"] = float(args.batch_wait_ms)
    return settings.with_runner(**changes)


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def status(args: argparse.Namespace) -> int:
    try:
        with DaemonClient.connect() as client:
            st = client.status()
    except DaemonUnavailable as exc:
        if args.json:
            print(json.dumps({"running": False, "reason": str(exc)}))
        else:
            print(f"not running: {exc}")
        return 3
    if args.json:
        print(json.dumps({"running": True, **MessageToDict(st, preserving_proto_field_name=True)}, indent=2))
        return 0
    print(
        f"avevents {st.version} running (pid {st.pid}) on {st.address}, up {st.uptime_seconds:.0f} s, "
        f"{_megabytes(st.rss_bytes)} resident"
    )
    print(
        f"jobs: {st.running_jobs} running, {st.queued_jobs} queued (limit {st.max_queued_jobs}), "
        f"{st.completed_jobs} done, {st.failed_jobs} failed"
    )
    for m in st.loaded_models:
        print(f"loaded: {m.name} {m.version} on {m.device} ({_megabytes(m.memory_bytes)})")
    if not st.loaded_models:
        print("loaded: nothing")
    if st.loading_models:
        print(f"loading: {', '.join(st.loading_models)}")
    if not st.ready:
        print("not ready yet: still loading the models it preloads (requests wait for them)")
    return 0


def models_list(args: argparse.Namespace) -> int:
    try:
        with DaemonClient.connect() as client:
            reply = client.list_models()
            models, source = list(reply.models), "daemon"
    except DaemonUnavailable:
        from avevents.daemon import convert
        from avevents.engine.residency import ResidentModels

        models = [convert.model_to_pb(s) for s in ResidentModels(settings=args.settings).states()]
        source = "this machine (daemon not running)"
    if args.json:
        print(json.dumps([MessageToDict(m, preserving_proto_field_name=True) for m in models], indent=2))
        return 0
    print(f"detectors and models on {source}:")
    for m in models:
        state = f"loaded on {m.device}" if m.loaded else ("available" if m.available else f"unavailable: {m.detail}")
        if m.loaded and m.memory_bytes:
            state += f", {_megabytes(m.memory_bytes)}"
        print(f"  {m.name} {m.version}  [{m.pack}]  {m.task}: {', '.join(m.labels)}  - {state}")
        print(f"      source: {m.source}; licence {m.licence}")
    from avevents.models.store import ModelStore

    store_commands.print_store(ModelStore.configured(args.settings.store))
    return 0


def models_load(args: argparse.Namespace) -> int:
    with DaemonClient.connect() as client:
        m = client.load_model(args.name, args.device)
    print(f"{m.name} loaded on {m.device} ({_megabytes(m.memory_bytes)})")
    return 0


def models_unload(args: argparse.Namespace) -> int:
    with DaemonClient.connect() as client:
        m = client.unload_model(args.name)
    print(f"{m.name} unloaded")
    return 0


def devices(args: argparse.Namespace) -> int:
    try:
        with DaemonClient.connect() as client:
            found = list(client.list_devices().devices)
    except DaemonUnavailable:
        from avevents.daemon.model_service import list_devices

        found = list_devices("cpu")
    if args.json:
        print(json.dumps([MessageToDict(d, preserving_proto_field_name=True) for d in found], indent=2))
        return 0
    for d in found:
        mark = "*" if d.is_default else " "
        print(
            f"{mark} {d.name:8} {d.description}  ({d.free_memory_bytes / 2**30:.1f} of "
            f"{d.total_memory_bytes / 2**30:.1f} GiB free)"
        )
    return 0


def labels(args: argparse.Namespace) -> int:
    from avevents.engine.detectors.registry import Packs
    from avevents.models.store import ModelStore

    packs = Packs.read(ModelStore.configured(args.settings.store))
    pack = packs.check(args.pack)
    defaults = set(packs.default_labels(pack))
    names = packs.all_labels(pack)
    print(f"pack {pack}: {len(names)} labels (* = analysed when no --labels are given)")
    for name in names:
        print(f"{'*' if name in defaults else ' '} {name}")
    return 0
