"""Serves a model repository written by ``avevents export-triton`` from a real Triton Inference Server
(the ``tritonserver`` that the nvidia-pytriton wheel bundles), for tests/models/test_triton_server.py.

Runs in its own virtual environment (nvidia-pytriton needs protobuf < 7, avevents' gRPC stack >= 7; see
tests/triton-venv.sh), so it imports nothing of avevents. Each ``config.pbtxt`` is parsed with Triton's own
ModelConfig protobuf schema (a field Triton does not know fails here as it would in Triton). That
bundled server ships only the Python backend, not ``onnxruntime_onnx``, so each model is bound through
pytriton with the config's inputs, outputs, max_batch_size, dynamic batching and instance count, and
its inference function runs the repository's ``1/model.onnx`` with ONNX Runtime.

Usage: python pytriton_repository.py REPOSITORY HTTP_PORT GRPC_PORT METRICS_PORT READY_MARK; prints READY_MARK
when every model is loaded and serves until its standard input closes.
"""

from __future__ import annotations

import logging
import os
import sys
import sysconfig
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
from google.protobuf import text_format
from pytriton.decorators import batch
from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor
from pytriton.triton import Triton, TritonConfig, TritonSecurityConfig
from tritonclient.grpc import model_config_pb2

NUMPY_TYPES = {
    model_config_pb2.TYPE_FP32: np.float32,
    model_config_pb2.TYPE_FP16: np.float16,
    model_config_pb2.TYPE_UINT8: np.uint8,
    model_config_pb2.TYPE_INT64: np.int64,
}


def read_config(folder: Path) -> model_config_pb2.ModelConfig:
    config = text_format.Parse((folder / "config.pbtxt").read_text(), model_config_pb2.ModelConfig())
    if config.name != folder.name:
        raise SystemExit(f"{folder}: Triton requires the folder to carry the model's name ({config.name})")
    if config.platform != "onnxruntime_onnx" or not (folder / "1" / "model.onnx").is_file():
        raise SystemExit(f"{folder}: expected an ONNX model (platform {config.platform})")
    return config


def infer_function(session: ort.InferenceSession, inputs, outputs):
    @batch
    def infer(**feeds):
        values = session.run([o.name for o in outputs], {i.name: feeds[i.name] for i in inputs})
        return dict(zip((o.name for o in outputs), values))

    return infer


def bind(triton: Triton, folder: Path) -> None:
    config = read_config(folder)

    def tensors(rows):
        return [Tensor(name=t.name, dtype=NUMPY_TYPES[t.data_type], shape=tuple(t.dims)) for t in rows]

    instances = sum(group.count for group in config.instance_group) or 1
    functions = []
    for _ in range(instances):
        session = ort.InferenceSession(str(folder / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
        functions.append(infer_function(session, config.input, config.output))
    batching = config.dynamic_batching
    triton.bind(
        model_name=config.name,
        infer_func=functions,
        inputs=tensors(config.input),
        outputs=tensors(config.output),
        config=ModelConfig(
            max_batch_size=config.max_batch_size,
            batcher=DynamicBatcher(
                max_queue_delay_microseconds=batching.max_queue_delay_microseconds,
                preferred_batch_size=list(batching.preferred_batch_size) or None,
            ),
        ),
        strict=True,
    )


def use_this_libpython() -> None:
    """Point the backend stub (a child of tritonserver, which inherits this environment) at this
    interpreter's libpython: it otherwise loads the system's, and a system 3.11.2 under a 3.11.7 standard
    library fails every model ("'_thread.RLock' object has no attribute '_recursion_count'")."""
    libdir = sysconfig.get_config_var("LIBDIR")
    if libdir and sysconfig.get_config_var("Py_ENABLE_SHARED"):
        os.environ["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, (libdir, os.environ.get("LD_LIBRARY_PATH"))))


def main() -> None:
    use_this_libpython()
    repository, http_port, grpc_port, metrics_port = Path(sys.argv[1]), *map(int, sys.argv[2:5])
    ready_mark = sys.argv[5]
    # pytriton's stages, timed, in the test's log: a start seen once to take 100 s can be traced to one.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    config = TritonConfig(http_address="127.0.0.1", grpc_address="127.0.0.1", http_port=http_port,
                          grpc_port=grpc_port, metrics_port=metrics_port)  # fmt: skip
    # The statistics API open (pytriton restricts it by default): the test reads each model's counts.
    security = TritonSecurityConfig(restricted_endpoints=["shared-memory", "model-repository", "trace", "logging"])
    # Its workspace (sockets, the generated model store) in a temporary folder removed when the server
    # stops, not in the user's ~/.cache. A short path: it holds Unix sockets.
    workspace = tempfile.TemporaryDirectory(prefix="pytriton-")
    place = os.path.join(workspace.name, "w")  # pytriton makes the folder itself
    with workspace, Triton(config=config, workspace=place, security_config=security) as triton:
        for folder in sorted(p.parent for p in repository.glob("*/config.pbtxt")):
            bind(triton, folder)
        triton.run()
        print(ready_mark, flush=True)
        sys.stdin.read()  # the test closes it to stop the server


if __name__ == "__main__":
    main()
