"""Regenerate the committed Python code for the avevents gRPC contract.

Run ``python -m avevents.proto.generate`` after editing ``proto/avevents/v1/avevents.proto``; the
drift test (tests/proto/test_generated_drift.py) fails when the committed files no longer match.
Needs the ``dev`` extra (grpcio-tools).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

PROTO_ROOT = Path(__file__).resolve().parent
PROTO_FILE = "avevents/v1/avevents.proto"
GENERATED_DIR = PROTO_ROOT / "v1"
GENERATED_FILES = ("avevents_pb2.py", "avevents_pb2.pyi", "avevents_pb2_grpc.py")

# protoc writes absolute imports that follow the .proto path (``from avevents.v1 import ...``);
# installed, the modules live in avevents.proto.v1, so the one import is made relative.
_GRPC_IMPORT = re.compile(r"^from avevents\.v1 import avevents_pb2 as", re.MULTILINE)


def generate_into(out_dir: Path) -> dict[str, str]:
    """Compile the contract into ``out_dir`` and return {file name: text} of the generated files."""
    try:
        from grpc_tools import protoc
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SystemExit("grpcio-tools is missing: pip install 'avevents[dev]'") from exc
    import grpc_tools

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "protoc",
            f"-I{PROTO_ROOT}",
            f"-I{well_known}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            PROTO_FILE,
        ]
        if protoc.main(args) != 0:
            raise RuntimeError(f"protoc failed on {PROTO_FILE}")
        produced = Path(tmp) / "avevents" / "v1"
        texts = {}
        for name in GENERATED_FILES:
            text = (produced / name).read_text()
            if name.endswith("_grpc.py"):
                text = _GRPC_IMPORT.sub("from . import avevents_pb2 as", text)
            texts[name] = text
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (out_dir / name).write_text(text)
    return texts


def main() -> int:
    generate_into(GENERATED_DIR)
    print(f"wrote {', '.join(GENERATED_FILES)} to {GENERATED_DIR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
