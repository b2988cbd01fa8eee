"""Against a live daemon on a real socket: results, bad input, queueing, cancellation, shutdown."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time

import grpc
import pytest

from avevents.core import errors
from avevents.core.results import DetectOptions
from avevents.daemon.rpc_errors import status_code

from ..conftest import start_daemon


def test_socket_is_private_and_results_match_in_process(daemon, av_clip, run_detect):
    socket_path = daemon.address.removeprefix("unix://")
    assert stat.S_IMODE(os.stat(socket_path).st_mode) == 0o600
    progress = []
    with daemon.client() as client:
        remote = client.detect(av_clip.path, on_progress=progress.append)
    local = run_detect(av_clip.path)
    assert [(e.label, e.start_seconds, e.end_seconds, e.confidence, e.id) for e in remote.events] == [
        (e.label, e.start_seconds, e.end_seconds, e.confidence, e.id) for e in local.events
    ]
    assert remote.media.frame_rate == local.media.frame_rate and remote.media.has_audio
    assert {u.stage for u in progress} >= {"analysing"}
    assert remote.grid and remote.labels == local.labels


def test_models_stay_resident_and_status_reports_them(daemon):
    with daemon.client() as client:
        status = client.status()
        loaded = {m.name: m for m in status.loaded_models}
        assert "silero-vad" in loaded and loaded["silero-vad"].device == "cpu"
        assert loaded["silero-vad"].memory_bytes > 0
        names = {m.name for m in client.list_models().models}
        assert {"silero-vad", "avevents-levels", "avevents-onsets", "avevents-cuts"} <= names
        assert client.unload_model("silero-vad").loaded is False
        assert "silero-vad" not in {m.name for m in client.status().loaded_models}
        assert client.load_model("silero-vad").loaded is True
        devices = client.list_devices().devices
        assert devices[0].name == "cpu" and devices[0].total_memory_bytes > 0


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, av_clip):
    d = tmp_path_factory.mktemp("bad")
    (d / "empty.mp4").write_bytes(b"")
    (d / "notes.txt").write_text("not media at all\n" * 100)
    data = av_clip.path.read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 3])
    (d / "locked.mp4").write_bytes(data)
    os.chmod(d / "locked.mp4", 0)
    return d


@pytest.mark.parametrize(
    "name, error, code, words",
    [
        ("missing.mp4", errors.MediaNotFound, grpc.StatusCode.NOT_FOUND, "no such file"),
        (".", errors.MediaUnreadable, grpc.StatusCode.INVALID_ARGUMENT, "directory"),
        ("empty.mp4", errors.MediaUnreadable, grpc.StatusCode.INVALID_ARGUMENT, "empty"),
        ("notes.txt", errors.MediaUnreadable, grpc.StatusCode.INVALID_ARGUMENT, "not a readable media file"),
        ("truncated.mp4", errors.MediaUnreadable, grpc.StatusCode.INVALID_ARGUMENT, "truncated"),
    ],
)
def test_bad_files_get_precise_errors(daemon, bad_files, name, error, code, words):
    with daemon.client() as client:
        with pytest.raises(error) as info:
            client.detect(bad_files / name)
        assert words in str(info.value) and status_code(error) == code
        assert client.healthy()  # the daemon keeps serving


def test_permission_denied(bad_files):
    """A file the daemon's user may not read. Root reads anything, so as root the daemon runs without
    the capabilities that let it (setpriv), which is what a normal user's daemon has."""
    prefix: tuple[str, ...] = ()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot make a file unreadable to the daemon")
        prefix = (setpriv, "--bounding-set", "-dac_override,-dac_read_search")
    d = start_daemon(prefix=prefix)
    try:
        with d.client() as client:
            with pytest.raises(errors.MediaPermissionDenied, match="permission denied"):
                client.detect(bad_files / "locked.mp4")
            assert client.healthy()
    finally:
        d.stop()


def test_bad_requests_get_precise_errors(daemon, av_clip):
    with daemon.client() as client:
        with pytest.raises(errors.UnknownLabel, match="did you mean 'Speech'"):
            client.detect(av_clip.path, DetectOptions(labels=("Speach",)))
        with pytest.raises(errors.UnknownPack):
            client.detect(av_clip.path, DetectOptions(pack="nonexistent"))
        with pytest.raises(errors.RangeOutsideMedia):
            client.detect(av_clip.path, DetectOptions(source_range=(100.0, 120.0)))
        with pytest.raises(errors.InvalidRequest):
            client.detect(av_clip.path, DetectOptions(source_range=(5.0, 2.0)))
        with pytest.raises(errors.UnknownModel):
            client.load_model("no-such-model")
        with pytest.raises(errors.ModelUnavailable):
            client.load_model("silero-vad", device="cuda:7")


def test_audio_only_and_video_only_work_with_what_exists(daemon, speech_wav, cut_clip):
    with daemon.client() as client:
        audio_only = client.detect(speech_wav.path)
        assert {e.label for e in audio_only.events} >= {"Speech", "Silence"}
        assert any("no video stream" in w for w in audio_only.warnings)
        video_only = client.detect(cut_clip.path)
        assert {e.label for e in video_only.events} == {"Scene cut"}
        assert any("no audio stream" in w for w in video_only.warnings)
        with pytest.raises(errors.NoUsableStream):
            client.detect(cut_clip.path, DetectOptions(labels=("Speech",)))


def test_source_range_limits_events(daemon, cut_clip):
    with daemon.client() as client:
        result = client.detect(cut_clip.path, DetectOptions(source_range=(3.0, 8.0)))
    assert result.analysed_range == (3.0, 8.0)
    expected = [t for t in cut_clip.cuts if 3.0 <= t < 8.0]
    got = [e.start_seconds for e in result.events]
    assert len(got) == len(expected) and all(abs(a - b) < 0.02 for a, b in zip(got, expected))


def _run_in_thread(fn):
    box = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as exc:
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t, box


def test_cancel_stops_work_within_a_second(daemon, long_clip):
    client = daemon.client()
    started = threading.Event()

    def on_progress(update):
        if update.stage == "analysing":
            started.set()

    thread, box = _run_in_thread(lambda: client.detect(long_clip, on_progress=on_progress))
    assert started.wait(30)
    cancelled_at = time.monotonic()
    client.cancel()
    thread.join(10)
    assert isinstance(box.get("error"), errors.Cancelled)
    # The worker stops: the daemon is idle again within a second.
    with daemon.client() as probe:
        while probe.status().running_jobs and time.monotonic() - cancelled_at < 5:
            time.sleep(0.05)
        assert probe.status().running_jobs == 0
        assert time.monotonic() - cancelled_at < 1.0
    client.close()


def test_full_queue_is_resource_exhausted(long_clip, av_clip):
    d = start_daemon("--jobs", "1", "--max-queue", "1")
    clients = [d.client() for _ in range(2)]
    try:
        started = threading.Event()
        _first, _box1 = _run_in_thread(
            lambda: clients[0].detect(long_clip, on_progress=lambda u: u.stage == "analysing" and started.set())
        )
        assert started.wait(30)
        queued = threading.Event()
        second, box2 = _run_in_thread(
            lambda: clients[1].detect(av_clip.path, on_progress=lambda u: u.stage == "queued" and queued.set())
        )
        assert queued.wait(10)
        with d.client() as third, pytest.raises(errors.QueueFull, match="busy"):
            third.detect(av_clip.path)
        clients[0].cancel()
        second.join(30)
        assert "result" in box2, box2  # the queued request ran once the slot freed
    finally:
        for c in clients:
            c.close()
        d.stop()


def test_second_serve_refuses_and_sigterm_shuts_down_cleanly():
    d = start_daemon()
    try:
        second = subprocess.run(
            [sys.executable, "-m", "avevents.cli.main", "serve"],
            env=d.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode != 0 and "already running" in second.stderr
        assert d.client().healthy()
    finally:
        code = d.stop(signal.SIGTERM)
    assert code == 0
    assert not (d.runtime_dir / "avevents.sock").exists() and not (d.runtime_dir / "daemon.json").exists()


def test_tcp_requires_the_token_and_refuses_remote_hosts(av_clip):
    d = start_daemon("--tcp", "127.0.0.1:0")
    try:
        assert d.address.startswith("127.0.0.1:")
        token = (d.config_dir / "token").read_text().strip()
        assert stat.S_IMODE(os.stat(d.config_dir / "token").st_mode) == 0o600
        from avevents.daemon.client import DaemonClient

        with DaemonClient(d.address, token=None) as anonymous:
            assert anonymous.healthy()  # health checks need no token
            with pytest.raises(errors.Unauthenticated):
                anonymous.status()
            with pytest.raises(errors.Unauthenticated):
                anonymous.detect(av_clip.path)
        with DaemonClient(d.address, token=token) as client:
            assert client.status().pid == d.process.pid
    finally:
        d.stop()
    refused = subprocess.run(
        [sys.executable, "-m", "avevents.cli.main", "serve", "--tcp", "0.0.0.0:0"],
        env=d.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "--allow-remote" in refused.stderr


def test_health_and_reflection(daemon):
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    with grpc.insecure_channel(daemon.address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = list(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
        services = {s.name for s in replies[0].list_services_response.service}
    assert {"avevents.v1.AvEvents", "grpc.health.v1.Health"} <= services


def test_sigterm_cancels_running_work_cleanly(long_clip, av_clip):
    """SIGTERM: the daemon stops taking calls, gives running jobs the grace period, then cancels them;
    the client gets a clear error, the daemon exits 0 and removes its socket."""
    d = start_daemon("--shutdown-grace", "0.5")
    client = d.client()
    try:
        started = threading.Event()
        thread, box = _run_in_thread(
            lambda: client.detect(long_clip, on_progress=lambda u: u.stage == "analysing" and started.set())
        )
        assert started.wait(30)
        signalled = time.monotonic()
        d.process.send_signal(signal.SIGTERM)
        thread.join(15)
        assert isinstance(box.get("error"), (errors.Cancelled, errors.DaemonUnavailable)), box
        assert d.process.wait(15) == 0
        assert time.monotonic() - signalled < 5
        assert not (d.runtime_dir / "avevents.sock").exists()
    finally:
        client.close()
        d.stop()


def test_truncated_and_damaged_files_that_still_open_say_so(daemon, tmp_path):
    """A Matroska file cut short, and one with garbage in the middle: the daemon analyses what is
    there and says what happened, instead of failing or inventing the rest."""
    from ..media_factory import write_cut_clip

    clip = write_cut_clip(tmp_path / "whole.mkv", seconds=8.0, with_audio=True)
    data = clip.path.read_bytes()
    cut_short = tmp_path / "cut_short.mkv"
    cut_short.write_bytes(data[: int(len(data) * 0.6)])
    damaged = tmp_path / "damaged.mkv"
    middle = len(data) // 2
    damaged.write_bytes(data[:middle] + bytes(range(256)) * 64 + data[middle + 16384 :])
    with daemon.client() as client:
        short = client.detect(cut_short)
        assert any("truncated" in w for w in short.warnings), short.warnings
        early_cuts = [t for t in clip.cuts if t < 3.5]
        found = [e.start_seconds for e in short.events if e.label == "Scene cut"]
        assert all(any(abs(f - t) < 0.04 for f in found) for t in early_cuts)
        hurt = client.detect(damaged)
        assert hurt.events  # the intact parts were analysed
        assert client.healthy()
