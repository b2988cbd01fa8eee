"""``avevents export-triton PACK DIR``: a Triton Inference Server model repository for a pack."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-triton", help="write a Triton Inference Server model repository entry for a pack")
    p.add_argument("pack")
    p.add_argument("directory", type=Path, metavar="DIR", help="the model repository")
    p.add_argument("--plan", action="store_true", help="a TensorRT engine (built here, for this GPU) instead of ONNX")
    p.add_argument("--max-batch", type=int, default=64, help="Triton's max_batch_size (default: %(default)s)")
    p.add_argument("--instances", type=int, default=1, help="model instances per device (default: %(default)s)")
    p.add_argument("--cpu", action="store_true", help="instances on the server's CPU (KIND_CPU) instead of GPUs")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from avevents.models.store import ModelStore
    from avevents.models.triton_export import export_triton

    store = ModelStore.configured(args.settings.store)
    folder = export_triton(store, args.pack, args.directory, args.plan, args.max_batch, args.instances, args.cpu)
    print(f"wrote {folder} (config.pbtxt, 1/{'model.plan' if args.plan else 'model.onnx'})")
    print(f"serve it: tritonserver --model-repository {args.directory}; then avevents serve --runner triton "
          "--triton-url http://HOST:8000")  # fmt: skip
    return 0
