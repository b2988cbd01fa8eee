"""Export a network to ONNX with dynamic axes: the file ONNX Runtime runs and TensorRT builds from.

Exports are cached in their pack (``onnx/<name>-<weights sha>.onnx``) with the sha256 of the file as
written beside it (``<file>.sha256``). ``verified_export`` checks that record each time an export is about
to be loaded: a missing or mismatched record makes the export stale and it is exported again (with a
warning) rather than refused. That is safe because an export is derived data, made again from weights
that are themselves checked at load, and it needs no action from the user; a modified export therefore
never runs, and it is replaced by a correct one.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

from avevents.core.errors import IntegrityError

from .files import digest_problem, forget_digest, sha256_of

log = logging.getLogger(__name__)
OPSET = 17
DIGEST_SUFFIX = ".sha256"
_REEXPORT = threading.Lock()


def export_onnx(
    model: torch.nn.Module,
    example: torch.Tensor | tuple[torch.Tensor, ...],
    path: str | os.PathLike,
    input_name: str | list[str],
    output_names: list[str],
    dynamic_axes: dict[str, dict[int, str]],
) -> Path:
    """Write ``model`` (eval mode) to ``path`` atomically, then record its sha256 beside it.

    :param model: the network.
    :param example: an input (a tuple of them for a model of several inputs).
    :param path: where the ``.onnx`` goes.
    :param input_name: the input's name (a list of names for several inputs).
    :param output_names: the outputs' names.
    :param dynamic_axes: the free dimensions of each input and output.
    :returns: ``path``.
    """
    try:
        import onnx  # noqa: F401 - the exporter needs it
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise RuntimeError("ONNX export needs the 'onnx' package (a core dependency of avevents)") from exc
    path = Path(path)
    tmp = _temporary(path)
    model = model.eval()
    try:
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
        digest = sha256_of(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    # Written after the export: a crash in between leaves an export without a record, which is stale.
    _write_digest(path, digest)
    log.info("exported %s to %s", type(model).__name__, path)
    return path


def digest_path(path: Path) -> Path:
    """The file holding the sha256 recorded for export ``path``."""
    return path.with_name(path.name + DIGEST_SUFFIX)


def _temporary(path: Path) -> Path:
    # One name per process and thread: two daemons exporting the same pack at once must not share it.
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def _write_digest(path: Path, digest: str) -> None:
    target = digest_path(path)
    tmp = _temporary(target)
    tmp.write_text(digest + "\n")
    tmp.replace(target)


def export_problem(path: Path) -> str | None:
    """Why the cached export ``path`` must not be loaded, or None when it matches its record.

    :param path: an ``.onnx`` written by ``export_onnx``.
    :returns: a sentence (no record, unreadable, or modified), or None.
    """
    try:
        recorded = digest_path(path).read_text().strip()
    except OSError:
        return "no sha256 was recorded when it was exported"
    return digest_problem(path, recorded, "exported")


def discard_export(path: Path) -> None:
    """Delete a cached export and its record (it is made again at the next load)."""
    path.unlink(missing_ok=True)
    digest_path(path).unlink(missing_ok=True)
    forget_digest(path)


def verified_export(make: Callable[[], Path]) -> Path:
    """The cached export ``make()`` returns, checked against its recorded sha256; exported again once
    when stale (no record, or modified).

    :param make: returns the export's path, exporting it first when the file is missing (as the packs'
        ``export_*_onnx`` functions do).
    :returns: the path of an export that matches its record.
    :raises IntegrityError: even a fresh export does not match its record (the folder is being written
        by something else).
    """
    path = make()
    if export_problem(path) is None:
        return path
    with _REEXPORT:  # two loads of one model must not discard each other's fresh export
        problem = export_problem(path)
        if problem is None:
            return path
        log.warning("cached ONNX export %s is stale: %s; exporting it again", path, problem)
        discard_export(path)
        path = make()
    if (problem := export_problem(path)) is not None:
        raise IntegrityError(f"{path}: {problem} right after it was exported; delete {path.parent} and try again")
    return path
