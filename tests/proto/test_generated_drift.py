"""The committed generated code must match what the .proto compiles to (drift test)."""

from __future__ import annotations

import re

import pytest

from avevents.proto import generate

# The generator's own version stamps differ between grpcio-tools releases without any change of
# meaning; everything else must match to the byte.
_VERSION_LINE = re.compile(
    r"^(# Protobuf Python Version: .*|GRPC_GENERATED_VERSION = .*|\s*\d+,\s*$|\s*'',\s*$)$", re.MULTILINE
)


def _normalise(text: str) -> str:
    return _VERSION_LINE.sub("<version>", text)


def test_generated_code_matches_proto(tmp_path):
    pytest.importorskip("grpc_tools", reason="grpcio-tools (dev extra) regenerates the code")
    fresh = generate.generate_into(tmp_path)
    for name, text in fresh.items():
        committed = (generate.GENERATED_DIR / name).read_text()
        assert _normalise(committed) == _normalise(text), (
            f"proto/v1/{name} is stale: run `python -m avevents.proto.generate` and commit the result"
        )


def test_service_is_versioned_and_complete():
    from avevents.proto.v1 import avevents_pb2 as pb

    service = pb.DESCRIPTOR.services_by_name["AvEvents"]
    assert service.full_name == "avevents.v1.AvEvents"
    assert {"Detect", "GetStatus", "ListModels", "LoadModel", "UnloadModel", "ListDevices"} <= set(
        service.methods_by_name
    )
    assert service.methods_by_name["Detect"].server_streaming
