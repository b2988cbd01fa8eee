"""``avevents export-triton PACK DIR``: a Triton Inference Server model repository for a pack's network:
``DIR/PACK/1/model.onnx`` (or ``model.plan``, a TensorRT engine built for the server's GPU) and
``DIR/PACK/config.pbtxt`` with the inputs and outputs, dynamic batching and instance groups."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from avevents.core.errors import InvalidRequest

PREFERRED_BATCHES = (8, 16, 32)
# ONNX TensorProto element types -> Triton's ModelConfig data types
TRITON_TYPES = {1: "TYPE_FP32", 2: "TYPE_UINT8", 3: "TYPE_INT8", 6: "TYPE_INT32", 7: "TYPE_INT64", 9: "TYPE_BOOL",
                10: "TYPE_FP16", 11: "TYPE_FP64"}  # fmt: skip

if TYPE_CHECKING:
    from .store import ModelStore


def _dims(value_info) -> list[int]:
    """The tensor's dimensions after the batch one, -1 where dynamic."""
    dims = value_info.type.tensor_type.shape.dim[1:]
    return [d.dim_value if d.HasField("dim_value") else -1 for d in dims]


def config_text(name: str, onnx_path: Path, platform: str, max_batch: int, instances: int, kind: str) -> str:
    import onnx

    graph = onnx.load(str(onnx_path), load_external_data=False).graph

    def tensors(values) -> str:
        rows = []
        for v in values:
            dims = ", ".join(str(d) for d in _dims(v))
            kind = TRITON_TYPES.get(v.type.tensor_type.elem_type)
            if kind is None:
                raise InvalidRequest(f"{name}: tensor {v.name} has a type Triton's config cannot name")
            rows.append(f'  {{\n    name: "{v.name}"\n    data_type: {kind}\n    dims: [ {dims} ]\n  }}')
        return ",\n".join(rows)

    preferred = ", ".join(str(b) for b in PREFERRED_BATCHES if b <= max_batch) or str(max_batch)
    return (
        f'name: "{name}"\n'
        f'platform: "{platform}"\n'
        f"max_batch_size: {max_batch}\n"
        f"input [\n{tensors(graph.input)}\n]\n"
        f"output [\n{tensors(graph.output)}\n]\n"
        "dynamic_batching {\n"
        f"  preferred_batch_size: [ {preferred} ]\n"
        "  max_queue_delay_microseconds: 2000\n"
        "}\n"
        f"instance_group [\n  {{\n    count: {instances}\n    kind: {kind}\n  }}\n]\n"
    )


def export_triton(
    store: ModelStore, name: str, out: Path, plan: bool = False, max_batch: int = 64, instances: int = 1, cpu=False
) -> Path:
    """Write the model repository entry for pack ``name`` of ``store``; returns its folder."""
    from .build import build

    if max_batch < 1 or instances < 1:
        raise InvalidRequest("--max-batch and --instances must be at least 1")
    result = build(store, name, precision="fp16") if plan else build(store, name, device="", precision="fp32")
    if plan and result.engine is None:
        raise InvalidRequest(f"no TensorRT engine for {name}: {result.reason} (export ONNX instead: drop --plan)")
    folder = Path(out) / name
    version = folder / "1"
    version.mkdir(parents=True, exist_ok=True)
    if plan:
        shutil.copyfile(result.engine, version / "model.plan")
        platform = "tensorrt_plan"
    else:
        shutil.copyfile(result.onnx, version / "model.onnx")
        platform = "onnxruntime_onnx"
    kind = "KIND_CPU" if cpu else "KIND_GPU"
    (folder / "config.pbtxt").write_text(config_text(name, result.onnx, platform, max_batch, instances, kind))
    return folder
