"""Damaged media through a real daemon: each file is answered with its own status (never INTERNAL), the
daemon keeps serving, and what the probe noticed reaches the client with the result."""

from __future__ import annotations

import grpc
import pytest

from avevents.core.errors import AvEventsError, MediaError
from avevents.core.results import DetectOptions
from avevents.daemon import rpc_errors

from .. import media_factory
from ..conftest import start_daemon
from ..engine.media import fuzz_corpus

# What a damaged file may be answered with: the media's fault (INVALID_ARGUMENT), a stream it lacks
# (FAILED_PRECONDITION), a range it does not reach (OUT_OF_RANGE); or a result.
ALLOWED = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.OUT_OF_RANGE}


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("damaged")
    (folder / "seeds").mkdir()
    seeds = fuzz_corpus.write_seeds(folder / "seeds")[:4]  # an MP4, a Matroska, a MOV, a WebM
    corpus = fuzz_corpus.variants(seeds, flips=1)
    return fuzz_corpus.write_variants(folder / "variants", corpus)


def test_every_damaged_file_gets_its_own_status_and_the_daemon_goes_on(damaged):
    daemon = start_daemon("--no-preload")
    codes: dict[str, int] = {}
    try:
        with daemon.client() as client:
            for path in damaged:
                try:
                    client.detect(str(path), DetectOptions(pack="builtin", labels=("Transient", "Silence")))
                    codes["ok"] = codes.get("ok", 0) + 1
                except AvEventsError as exc:
                    code = rpc_errors.status_code(type(exc))
                    assert code in ALLOWED, f"{path.name}: {code} {exc}"
                    assert "\n" not in str(exc) and "Traceback" not in str(exc), f"{path.name}: {exc}"
                    codes[code.name] = codes.get(code.name, 0) + 1
            status = client.status()
            assert status.failed_jobs == 0  # refused in the checks: no job was started and failed
        log = (daemon.runtime_dir.parent / "daemon.log").read_text()
    finally:
        daemon.stop()
    assert codes.get("INVALID_ARGUMENT", 0) >= 10 and codes.get("ok", 0) >= 1, codes
    assert "Traceback" not in log and "internal error" not in log


def test_a_file_without_a_declared_duration_says_so_with_its_result(tmp_path):
    clip = media_factory.write_small_clip(tmp_path / "clap.mp4", seconds=3.0)
    piped = media_factory.write_piped_mkv(clip.path, tmp_path / "clap.mkv")
    daemon = start_daemon("--no-preload")
    try:
        with daemon.client() as client:
            result = client.detect(str(piped), DetectOptions(pack="builtin"))
            with pytest.raises(MediaError):
                client.detect(str(tmp_path / "clap.mkv.missing-bytes"), DetectOptions(pack="builtin"))
    finally:
        daemon.stop()
    assert result.media.duration_seconds == pytest.approx(clip.duration, abs=0.1)
    assert any("declares no duration" in w for w in result.warnings), result.warnings
