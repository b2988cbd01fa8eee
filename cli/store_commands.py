"""``avevents models pull | import | remove`` and the store half of ``models list``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from avevents.models.catalog import PACKS
from avevents.models.store import ModelStore


def add_subparsers(msub: argparse._SubParsersAction) -> None:
    p = msub.add_parser("pull", help="download a model pack from its official home (sha256-checked)")
    p.add_argument("name")
    p.set_defaults(func=pull)
    p = msub.add_parser("import", help="install a model pack from files you have (offline)")
    p.add_argument("name")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(func=import_files)
    p = msub.add_parser("build", help="export a pack to ONNX and build its TensorRT engine for a GPU")
    p.add_argument("name")
    p.add_argument("--device", default="cuda:0", help="GPU to build for (default: %(default)s)")
    p.add_argument("--precision", choices=("fp16", "fp32"), default="fp16")
    p.set_defaults(func=build)
    p = msub.add_parser("remove", help="delete an installed model pack")
    p.add_argument("name")
    p.set_defaults(func=remove)


class _Bar:
    """Download progress on one terminal line."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def __call__(self, name: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        share = f"{done / total * 100:5.1f}%" if total else ""
        sys.stderr.write(f"\r{name}: {done / 1e6:7.1f} MB {share}".ljust(70))
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 70 + "\r")


def pull(args: argparse.Namespace) -> int:
    store, bar = ModelStore.configured(args.settings.store), _Bar()
    try:
        pack = store.pull(args.name, bar)
    finally:
        bar.done()
    print(f"{args.name} {pack.spec.version} installed in {pack.path}")
    return 0


def import_files(args: argparse.Namespace) -> int:
    store, bar = ModelStore.configured(args.settings.store), _Bar()
    try:
        pack = store.import_files(args.name, args.files, bar)
    finally:
        bar.done()
    print(f"{args.name} {pack.spec.version} installed in {pack.path}")
    return 0


def build(args: argparse.Namespace) -> int:
    from avevents.models.build import build as build_pack

    store = ModelStore.configured(args.settings.store)
    result = build_pack(store, args.name, args.device, args.precision, lambda line: print(line, file=sys.stderr))
    print(f"ONNX: {result.onnx}")
    if result.engine is None:
        print(f"no TensorRT engine: {result.reason}")
        return 1
    print(f"TensorRT engine ({args.precision}, {args.device}): {result.engine}")
    return 0


def remove(args: argparse.Namespace) -> int:
    if ModelStore.configured(args.settings.store).remove(args.name):
        print(f"{args.name} removed")
    else:
        print(f"{args.name} was not installed")
    return 0


def print_store(store: ModelStore) -> None:
    print(f"model packs (store {store.root}{', mirror ' + str(store.mirror) if store.mirror else ''}):")
    for spec, pack in store.list():
        state = "installed" if pack else _absent_state(store, spec.name)
        print(f"  {spec.name} {spec.version}  {spec.task}  - {state}")
        print(f"      {spec.description}; licence {spec.licence}")


def _absent_state(store: ModelStore, name: str) -> str:
    """Why a listed pack does not load: refused (a pack on disk whose manifest is bad: pulling again or
    removing it is the fix, so "not installed" would mislead) or not installed."""
    problem = store.problem(name)
    if problem is None:
        return f"not installed (avevents models pull {name})"
    fix = f"avevents models {'pull' if name in PACKS else 'remove'} {name}"  # as ModelStore.require says
    return f"unavailable: {problem} ({fix})"
