"""The daemon answers status at once while it loads a model, checks the queue before the media, and a
frozen daemon does not hang its clients."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from avevents.core.errors import DaemonUnavailable, QueueFull
from avevents.core.paths import SingleInstanceLock
from avevents.daemon.client import DaemonClient
from avevents.engine.model_entries import ModelEntry, ModelState
from avevents.engine.residency import ResidentModels

from ..conftest import start_daemon
from .inprocess_server import client_for, serving

STATUS_BUDGET_S = 0.1  # the promise: status within 100 ms while models load


class _HeldLoad:
    """A model whose loader blocks until released: the load lasts exactly as long as the test needs."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def loader(self, device: str, context) -> object:
        self.calls += 1
        self.entered.set()
        if not self.release.wait(30):
            raise RuntimeError("never released")
        return object()


@pytest.fixture
def held_models():
    models = ResidentModels()
    held = _HeldLoad()
    entry = ModelEntry("held-model", "1", "test", "test", ("Held",), "test", "MIT", held.loader)
    models._states[entry.name] = ModelState(entry)
    return models, held


@pytest.fixture
def socket_path():
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="avs-"))  # short: Unix socket paths are limited to ~100 bytes
    yield base / "d.sock"
    import shutil

    shutil.rmtree(base, ignore_errors=True)


def _timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    value = call()
    return time.perf_counter() - started, value


def test_status_answers_at_once_while_a_model_loads(held_models, socket_path):
    models, held = held_models
    with serving(models, socket_path) as _servicer, client_for(socket_path) as client:
        loader = threading.Thread(target=client.load_model, args=("held-model",))
        loader.start()
        try:
            assert held.entered.wait(10), "the load never started"
            times = []
            for _ in range(20):
                seconds, status = _timed(client.status)
                times.append(seconds)
                assert list(status.loading_models) == ["held-model"]
            listed = {m.name: m for m in client.list_models().models}
            assert listed["held-model"].loading and not listed["held-model"].loaded
            # Other management calls do not wait for the load either.
            seconds, _ = _timed(lambda: client.unload_model("silero-vad"))
            times.append(seconds)
        finally:
            held.release.set()
            loader.join(10)
        assert sorted(times)[len(times) // 2] < STATUS_BUDGET_S, times
        assert max(times) < 1.0, times
        assert held.calls == 1
        assert client.status().loading_models == []


def test_a_second_request_for_a_loading_model_waits_for_that_load(held_models):
    models, held = held_models
    first = threading.Thread(target=models.get, args=("held-model",))
    first.start()
    assert held.entered.wait(10)
    second = threading.Thread(target=models.get, args=("held-model",))
    second.start()
    time.sleep(0.2)
    assert second.is_alive()  # waiting, not loading again
    held.release.set()
    first.join(10)
    second.join(10)
    assert held.calls == 1 and models.state("held-model").loaded


def test_status_under_twenty_clients(held_models, socket_path):
    models, held = held_models
    errors: list[BaseException] = []
    times: list[float] = []
    lock = threading.Lock()

    def poll() -> None:
        try:
            with client_for(socket_path) as client:
                for _ in range(10):
                    seconds, _ = _timed(client.status)
                    with lock:
                        times.append(seconds)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    with serving(models, socket_path) as _servicer, client_for(socket_path) as client:
        loader = threading.Thread(target=client.load_model, args=("held-model",))
        loader.start()
        assert held.entered.wait(10)
        clients = [threading.Thread(target=poll) for _ in range(20)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(60)
        held.release.set()
        loader.join(10)
    assert not errors
    assert len(times) == 200
    assert sorted(times)[len(times) // 2] < STATUS_BUDGET_S


def test_a_full_queue_answers_before_the_media_is_opened(held_models, socket_path, tmp_path):
    """With every slot taken, a request is refused as QueueFull at once, even for a file that does not
    exist: the queue is checked before any probe of the media."""
    models, held = held_models
    from avevents.core.results import DetectOptions

    with serving(models, socket_path, max_running=1, max_queued=0) as servicer, client_for(socket_path) as client:
        servicer.jobs.running = 1  # the one slot is busy (as while a long analysis runs)
        started = time.perf_counter()
        try:
            with pytest.raises(QueueFull):
                client.detect(tmp_path / "missing.mp4", DetectOptions())
        finally:
            servicer.jobs.running = 0
        seconds = time.perf_counter() - started
    assert seconds < 1.0
    assert held.calls == 0


def _stopped(daemon):
    os.kill(daemon.process.pid, signal.SIGSTOP)


def test_a_frozen_daemon_does_not_hang_its_clients(cut_clip):
    daemon = start_daemon()
    try:
        info = json.loads((daemon.runtime_dir / "daemon.json").read_text())
        with daemon.client() as client:
            client.stall_timeout = 3.0
            client.status()
            _stopped(daemon)
            started = time.monotonic()
            with pytest.raises(DaemonUnavailable):
                client.status(timeout=2.0)
            with pytest.raises(DaemonUnavailable, match="sent nothing for 3 s"):
                client.detect(cut_clip.path)
            assert time.monotonic() - started < 15
        # Discovery: the process is alive but frozen, so connect waits a little, then says so.
        env = {"AVEVENTS_RUNTIME_DIR": str(daemon.runtime_dir), "AVEVENTS_CONFIG_DIR": str(daemon.config_dir)}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            with pytest.raises(DaemonUnavailable, match=f"pid {info['pid']}.*frozen"):
                DaemonClient.connect(timeout=0.5, start_wait=1.5)
        finally:
            for key, value in old.items():
                os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    finally:
        os.kill(daemon.process.pid, signal.SIGCONT)
        daemon.stop()


def test_clients_wait_for_a_daemon_that_is_starting(av_store, monkeypatch):
    """While the daemon preloads the audio-visual pack, a client connects (status says "not ready",
    naming what loads) instead of taking the daemon for absent and loading every model a second time."""
    daemon = start_daemon(wait=False)
    try:
        monkeypatch.setenv("AVEVENTS_RUNTIME_DIR", str(daemon.runtime_dir))
        monkeypatch.setenv("AVEVENTS_CONFIG_DIR", str(daemon.config_dir))
        deadline = time.monotonic() + 60
        while not (daemon.runtime_dir / "daemon.lock").exists() or not SingleInstanceLock().is_held():
            assert daemon.process.poll() is None, "the daemon exited"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with DaemonClient.connect(timeout=1.0, start_wait=60) as client:
            statuses = []
            while True:
                seconds, status = _timed(client.status)
                statuses.append((seconds, status.ready, list(status.loading_models)))
                if status.ready:
                    break
                time.sleep(0.02)
            not_ready = [s for s in statuses if not s[1]]
            slow = [s for s in statuses if s[0] >= 0.5]
            assert not slow, (slow, len(statuses))
            if not_ready:  # the preload was still going when we got in: it said what it loads
                assert any(loading for _, _, loading in not_ready), statuses
            assert {m.name for m in client.status().loaded_models} >= {"efficientat-mn04-as", "mobilenet-v2-imagenet"}
    finally:
        daemon.stop()
    log = (daemon.runtime_dir.parent / "daemon.log").read_text()
    assert log.count("loaded efficientat-mn04-as") == 1, log
