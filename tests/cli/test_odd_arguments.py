"""Odd option values get a one-line error and exit status 2: never a traceback, never a silent guess."""

from __future__ import annotations

import math
import os
import shutil
import socket
import stat
import tempfile
from concurrent import futures
from pathlib import Path

import pytest

from avevents.cli.main import main as cli
from avevents.core.errors import InvalidRequest
from avevents.core.results import DetectOptions, LabelOptions

from ..conftest import start_daemon


def _one_line_error(capsys, *words: str) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "error: " in err and all(w in err for w in words), err
    return err


@pytest.fixture
def no_analysis(monkeypatch, tmp_path):
    """Detection that fails the test if it is ever reached: the values below are refused before."""
    import avevents.engine.pipeline as pipeline

    def detect(*args, **kwargs):
        raise AssertionError("analysed with options that should have been refused")

    monkeypatch.setattr(pipeline, "detect", detect)
    media = tmp_path / "clip.mp4"
    media.write_bytes(b"\0" * 64)
    return media


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--range", "0-nan"], ["range"]),
        (["--range", "nan-5"], ["range"]),
        (["--range", "inf-5"], ["range"]),
        (["--range", "0-inf"], ["range"]),
        (["--range", "abc"], ["--range"]),
        (["--range", "5-2"], ["range"]),
        (["--min-length", "nan"], ["min_event_seconds"]),
        (["--min-length", "-1"], ["min_event_seconds"]),
        (["--min-length", "inf"], ["min_event_seconds"]),
        (["--merge-gap", "nan"], ["merge_gap_seconds"]),
        (["--threshold", "nan"], ["threshold"]),
        (["--release=-inf"], ["release_threshold"]),
        (["--sensitivity", "nan"], ["sensitivity"]),
        (["--sensitivity", "-0.5"], ["sensitivity"]),
    ],
)
def test_detect_refuses_odd_values(no_analysis, capsys, flags, words):
    assert cli(["detect", str(no_analysis), "--in-process", "-q", *flags]) == 2
    _one_line_error(capsys, *words)


def test_detect_refuses_a_non_number_like_argparse(no_analysis, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli(["detect", str(no_analysis), "--in-process", "--min-length", "short"])
    assert stopped.value.code == 2
    assert "avevents detect: error: argument --min-length" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_options_refuse_nan_and_inf_everywhere_the_daemon_looks(bad):
    """The daemon validates requests with the same method: every float field is checked there."""
    for options in (
        DetectOptions(defaults=LabelOptions(merge_gap_seconds=bad)),
        DetectOptions(per_label={"Speech": LabelOptions(min_event_seconds=bad)}),
        DetectOptions(per_label={"Speech": LabelOptions(threshold=bad)}),
        DetectOptions(source_range=(0.0, bad)),
        DetectOptions(source_range=(bad, 5.0)),
        DetectOptions(video_analysis_fps=bad),
        DetectOptions(sensitivity=bad),
    ):
        with pytest.raises(InvalidRequest):
            options.validate()
    DetectOptions(source_range=(0.0, 5.0), defaults=LabelOptions(0.5, 0.3, 0.0, 0.1), sensitivity=1.0).validate()


@pytest.fixture
def serve_env(monkeypatch):
    """``serve`` in this process with private runtime and config folders (short: socket paths are short)."""
    base = Path(tempfile.mkdtemp(prefix="av-odd-"))
    monkeypatch.setenv("AVEVENTS_RUNTIME_DIR", str(base / "run"))
    monkeypatch.setenv("AVEVENTS_CONFIG_DIR", str(base / "cfg"))
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.timeout(30)  # before the fix some of these started a daemon and served for ever
@pytest.mark.parametrize(
    ("tcp", "words"),
    [
        ("::1:50051", ["brackets", "[::1]:50051"]),
        (":abc", ["port", "abc"]),
        (":99999", ["port", "99999", "65535"]),
        ("127.0.0.1:-5", ["port"]),
        ("127.0.0.1:", ["port"]),
        ("127.0.0.1:8_0", ["port"]),
        ("[::1:50051", ["brackets"]),
        ("[nonsense]:50051", ["IPv6"]),
    ],
)
def test_serve_refuses_odd_tcp_addresses(serve_env, capsys, tcp, words):
    assert cli(["serve", "--no-preload", "--tcp", tcp]) == 2
    _one_line_error(capsys, "--tcp", *words)
    assert not (serve_env / "run" / "daemon.json").exists()


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "flags",
    [["--jobs", "0"], ["--jobs", "two"], ["--max-queue", "-1"], ["--shutdown-grace", "nan"],
     ["--shutdown-grace=-1"], ["--batch-wait-ms", "inf"]],
)  # fmt: skip
def test_serve_refuses_odd_numbers_like_argparse(serve_env, capsys, flags):
    with pytest.raises(SystemExit) as stopped:
        cli(["serve", "--no-preload", "--socket", str(serve_env / "s.sock"), *flags])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"avevents serve: error: argument {flags[0].split('=')[0]}: " in err and "Traceback" not in err


@pytest.mark.timeout(30)
def test_serve_names_a_port_in_use(serve_env, capsys):
    import grpc

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli(["serve", "--no-preload", "--tcp", f"127.0.0.1:{port}"]) == 2
        _one_line_error(capsys, str(port), "in use")
    # Another gRPC server (SO_REUSEPORT, which gRPC sets by default) must not be silently shared either.
    other = grpc.server(futures.ThreadPoolExecutor(1))
    port = other.add_insecure_port("127.0.0.1:0")
    other.start()
    try:
        assert cli(["serve", "--no-preload", "--tcp", f"127.0.0.1:{port}"]) == 2
        _one_line_error(capsys, str(port), "in use")
    finally:
        other.stop(None)


@pytest.mark.timeout(30)
def test_serve_refuses_a_socket_path_that_is_not_a_socket(serve_env, capsys):
    folder = serve_env / "a-folder"
    folder.mkdir()
    assert cli(["serve", "--no-preload", "--socket", str(folder)]) == 2
    _one_line_error(capsys, str(folder), "folder")
    assert folder.is_dir()
    precious = serve_env / "notes.txt"
    precious.write_text("keep me")
    assert cli(["serve", "--no-preload", "--socket", str(precious)]) == 2
    _one_line_error(capsys, str(precious), "not a socket")
    assert precious.read_text() == "keep me"  # never deleted to make room for the socket
    missing = serve_env / "no" / "such" / "d.sock"
    assert cli(["serve", "--no-preload", "--socket", str(missing)]) == 2
    _one_line_error(capsys, str(missing.parent))


def test_an_ipv6_loopback_in_brackets_serves():
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    d = start_daemon("--no-preload", "--tcp", "[::1]:0")
    try:
        assert d.address.startswith("[::1]:") and int(d.address.rpartition(":")[2]) > 0
        with d.client() as client:
            assert client.status().pid == d.process.pid
        mode = os.stat(d.config_dir / "token").st_mode
        assert stat.S_IMODE(mode) == 0o600
    finally:
        d.stop()
