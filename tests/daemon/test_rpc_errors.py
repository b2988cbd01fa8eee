"""Every avevents error class survives the trip through a real gRPC socket as itself."""

from __future__ import annotations

import ast
from concurrent import futures
from pathlib import Path

import grpc
import pytest

from avevents.core import errors
from avevents.daemon import rpc_errors
from tests import layers

REPO = Path(__file__).resolve().parents[2]
SERVICE = "avevents.test.Errors"


def _raise_named(request: bytes, context: grpc.ServicerContext) -> bytes:
    cls = next(c for c in errors.all_error_classes() if c.__name__ == request.decode())
    code, message, trailers = rpc_errors.to_grpc(cls(f"a {cls.__name__} happened"))
    context.set_trailing_metadata(trailers)
    context.abort(code, message)


@pytest.fixture(scope="module")
def channel(tmp_path_factory):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    handler = grpc.method_handlers_generic_handler(
        SERVICE, {"Raise": grpc.unary_unary_rpc_method_handler(_raise_named)}
    )
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as chan:
        yield chan
    server.stop(0)


@pytest.mark.parametrize("cls", errors.all_error_classes(), ids=lambda c: c.__name__)
def test_every_error_class_round_trips(channel, cls):
    call = channel.unary_unary(f"/{SERVICE}/Raise")
    with pytest.raises(grpc.RpcError) as info:
        call(cls.__name__.encode(), timeout=10)
    assert info.value.code() == rpc_errors.status_code(cls)
    rebuilt = rpc_errors.from_rpc_error(info.value)
    assert type(rebuilt) is cls
    assert str(rebuilt) == f"a {cls.__name__} happened"


def test_only_the_base_class_counts_as_internal():
    """A user's error is never logged as an internal error with a traceback."""
    for cls in errors.all_error_classes():
        internal = rpc_errors.status_code(cls) == grpc.StatusCode.INTERNAL
        assert internal == (cls is errors.AvEventsError), cls.__name__
        assert rpc_errors.is_internal(cls("x")) == (cls is errors.AvEventsError)
    assert rpc_errors.is_internal(ValueError("x"))


def test_the_six_classes_that_once_came_back_bare():
    for name in (
        "DownloadFailed",
        "RunnerError",
        "UnsafeDirectory",
        "TimelineUnreadable",
        "InstallError",
        "TrayUnavailable",
    ):
        assert getattr(errors, name).__module__ == "avevents.core.errors"


def test_error_classes_are_defined_only_in_core():
    """One tree in one module: a class defined elsewhere would be missing from the status table."""
    names = {c.__name__ for c in errors.all_error_classes()}
    offenders = []
    # The product's own modules only: a glob of the checkout also sees virtual environments
    # (.venv, .triton-venv) whose libraries define classes with the same names (gevent's PoolFull).
    for module, path in layers.modules().items():
        if module.startswith("avevents.core."):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if bases & names:
                    offenders.append(f"{path.relative_to(REPO)}: {node.name}")
    assert not offenders, offenders
