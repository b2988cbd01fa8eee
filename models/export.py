"""Export a network to ONNX with dynamic axes: the file ONNX Runtime runs and TensorRT builds from."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import torch

log = logging.getLogger(__name__)
OPSET = 17


def export_onnx(
    model: torch.nn.Module,
    example: torch.Tensor | tuple[torch.Tensor, ...],
    path: str | os.PathLike,
    input_name: str | list[str],
    output_names: list[str],
    dynamic_axes: dict[str, dict[int, str]],
) -> Path:
    """Write ``model`` (eval mode) to ``path`` atomically; ``dynamic_axes`` names the free dimensions.
    A model of several inputs takes a tuple of examples and a list of names."""
    try:
        import onnx  # noqa: F401 - the exporter needs it
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise RuntimeError("ONNX export needs the 'onnx' package (a core dependency of avevents)") from exc
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    model = model.eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            model,
            example if isinstance(example, tuple) else (example,),
            str(tmp),
            dynamo=False,
            input_names=[input_name] if isinstance(input_name, str) else list(input_name),
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
        )
    tmp.replace(path)
    log.info("exported %s to %s", type(model).__name__, path)
    return path
