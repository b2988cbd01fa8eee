"""The tray app with real Qt widgets (offscreen) against real daemons: every view filled from real
replies, actions with their real effect (a pack pulls from the local mirror with progress, loads,
unloads, is removed; a pull is cancelled; a job is cancelled), the daemon started, lost and found again,
settings saved, screenshots rendered."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from avevents.core.errors import Cancelled
from avevents.core.results import DetectOptions
from avevents.tray.state import tray_state

from ..conftest import isolated_env, start_daemon, stop_daemon_in
from ..media_factory import SHARED, shared_or_skip

TAGGER = "efficientat-mn04-as"


@pytest.fixture
def daemon_with_mirror(tmp_path, monkeypatch):
    """A daemon with an empty store and the shared mirror; this process finds it by its runtime dir."""
    shared_or_skip("models", TAGGER)
    env = {"AVEVENTS_MODEL_STORE": str(tmp_path / "store"), "AVEVENTS_MODEL_MIRROR": str(SHARED / "models")}
    daemon = start_daemon(env_extra=env)
    for key in ("AVEVENTS_RUNTIME_DIR", "AVEVENTS_CONFIG_DIR", *env):
        monkeypatch.setenv(key, daemon.env[key])
    yield daemon
    daemon.stop()


def _row(view, name):
    for r in range(view.table.rowCount()):
        if view.table.item(r, 0).text() == name:
            return [view.table.item(r, c).text() for c in range(view.table.columnCount())]
    return None


def test_state_from_status():
    class Status:
        version, running_jobs, queued_jobs, loaded_models = "1.0", 0, 0, []

    assert tray_state(None).name == "stopped" and tray_state(None, starting=True).name == "starting"
    assert tray_state(None, error="token refused").name == "error"
    assert tray_state(Status()).name == "idle"
    busy = Status()
    busy.running_jobs, busy.queued_jobs = 1, 2
    state = tray_state(busy)
    assert (state.name, state.jobs) == ("busy", 3) and "2 waiting" in state.tooltip


def test_models_view_pulls_loads_unloads_and_removes(qtbot, daemon_with_mirror):
    from avevents.tray.link import DaemonLink
    from avevents.tray.views.models import ModelsView

    link = DaemonLink()
    view = ModelsView(link)
    qtbot.addWidget(view)
    view.refresh()
    qtbot.waitUntil(lambda: _row(view, TAGGER) is not None, timeout=10000)
    assert _row(view, "silero-vad")[3] == "yes" and _row(view, TAGGER)[3] == "no"
    view.select(TAGGER)
    seen = []
    link_progress = view.progress.valueChanged
    link_progress.connect(seen.append)
    view.pull()
    qtbot.waitUntil(lambda: "installed" in view.message.text(), timeout=30000)
    qtbot.waitUntil(lambda: _row(view, TAGGER)[3] == "yes", timeout=10000)
    assert seen and seen[-1] == 100 and _row(view, TAGGER)[4] == "4.1 MB"
    view.select(TAGGER)
    view.load()
    qtbot.waitUntil(lambda: (_row(view, TAGGER) or [""] * 9)[6] == "yes", timeout=60000)
    assert _row(view, TAGGER)[7] == "cpu"
    view.select(TAGGER)
    view.unload()
    qtbot.waitUntil(lambda: _row(view, TAGGER)[6] == "", timeout=30000)
    view.select(TAGGER)
    view.build()  # the ONNX export happens; no TensorRT/CUDA here, and the window says so
    # Progress says "ONNX export ready: ..."; the end says "ONNX <path>; <model>: <why no engine>".
    qtbot.waitUntil(lambda: f"; {TAGGER}: " in view.message.text(), timeout=120000)
    assert ".onnx" in view.message.text() and ("TensorRT" in view.message.text() or "CUDA" in view.message.text())
    view.select(TAGGER)
    view.remove()
    qtbot.waitUntil(lambda: _row(view, TAGGER)[3] == "no", timeout=30000)
    link.wait_idle()


def test_a_pull_can_be_cancelled(qtbot, tmp_path, monkeypatch):
    """The mirror's weights file is a pipe fed slowly, so the pull is still running when Cancel comes."""
    from avevents.tray.link import DaemonLink
    from avevents.tray.views.models import ModelsView

    real = shared_or_skip("models", "mobilenet-v2-imagenet", "mobilenet_v2_1.0_224_quant.tflite")
    mirror = tmp_path / "mirror" / "mobilenet-v2-imagenet"
    mirror.mkdir(parents=True)
    os.mkfifo(mirror / real.name)
    (mirror / "imagenet_labels.txt").write_bytes((real.parent / "imagenet_labels.txt").read_bytes())
    stop = threading.Event()

    def feed():
        try:
            with open(mirror / real.name, "wb") as pipe:
                data = real.read_bytes()
                for i in range(0, len(data), 1 << 16):
                    if stop.is_set():
                        return
                    pipe.write(data[i : i + (1 << 16)])
                    pipe.flush()
                    time.sleep(0.1)
        except BrokenPipeError:
            pass  # the pull stopped reading: cancelled

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    env = {"AVEVENTS_MODEL_STORE": str(tmp_path / "store"), "AVEVENTS_MODEL_MIRROR": str(tmp_path / "mirror")}
    daemon = start_daemon(env_extra=env)
    try:
        for key in ("AVEVENTS_RUNTIME_DIR", "AVEVENTS_CONFIG_DIR"):
            monkeypatch.setenv(key, daemon.env[key])
        link = DaemonLink()
        view = ModelsView(link)
        qtbot.addWidget(view)
        view.refresh()
        qtbot.waitUntil(lambda: _row(view, "mobilenet-v2-imagenet") is not None, timeout=10000)
        view.select("mobilenet-v2-imagenet")
        view.pull()
        qtbot.waitUntil(lambda: " MB" in view.message.text() and "Pulling" in view.message.text(), timeout=10000)
        assert view.buttons["cancel"].isEnabled()
        view.cancel()
        qtbot.waitUntil(lambda: view.message.text() == "Cancelled.", timeout=10000)
        view.refresh()
        qtbot.waitUntil(lambda: _row(view, "mobilenet-v2-imagenet")[3] == "no", timeout=10000)
        assert not (tmp_path / "store" / "mobilenet-v2-imagenet" / "manifest.json").exists()
        link.wait_idle()
    finally:
        stop.set()
        daemon.stop()


def test_devices_view_and_default_device(qtbot, daemon_with_mirror):
    from avevents.tray.link import DaemonLink
    from avevents.tray.views.devices import DevicesView

    link = DaemonLink()
    view = DevicesView(link)
    qtbot.addWidget(view)
    view.refresh()
    qtbot.waitUntil(lambda: view.table.rowCount() > 0, timeout=10000)
    cpu = [view.table.item(0, c).text() for c in range(6)]
    assert cpu[0] == "cpu" and cpu[5] == "yes" and cpu[4].endswith("GiB")
    assert "silero-vad" in [view.model.itemText(i) for i in range(view.model.count())]
    view.apply_default()
    qtbot.waitUntil(lambda: "Models now load on cpu" in view.message.text(), timeout=10000)
    view.model.setCurrentText("silero-vad")
    view.model_device.setCurrentText("cpu")
    view.apply_model()
    qtbot.waitUntil(lambda: "silero-vad runs on cpu" in view.message.text(), timeout=30000)
    link.wait_idle()


def test_jobs_view_shows_and_cancels_a_running_job(qtbot, daemon_with_mirror, long_clip):
    from avevents.tray.link import DaemonLink
    from avevents.tray.views.jobs import JobsView

    link = DaemonLink(poll_ms=100)
    view = JobsView(link)
    qtbot.addWidget(view)
    link.start_polling()
    outcome = {}

    def detect():
        with daemon_with_mirror.client() as client:
            try:
                outcome["result"] = client.detect(long_clip, DetectOptions(labels=("Speech", "Scene cut")))
            except Exception as exc:  # what the test looks at
                outcome["result"] = exc

    worker = threading.Thread(target=detect)
    worker.start()
    qtbot.waitUntil(lambda: any(j.state == "running" for j in view.jobs), timeout=20000)
    row = next(i for i, j in enumerate(view.jobs) if j.state == "running")
    view.table.selectRow(row)
    view.cancel_selected()
    worker.join(30)
    assert isinstance(outcome["result"], Cancelled)
    qtbot.waitUntil(lambda: view.jobs and view.jobs[0].state == "cancelled", timeout=10000)
    assert view.table.item(0, 2).text() == "cancelled" and view.table.item(0, 1).text() == Path(long_clip).name
    link.timer.stop()
    link.wait_idle()


def test_tray_starts_the_daemon_notices_it_die_and_reconnects(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QApplication

    from avevents.tray.app import TrayApp

    env = isolated_env(tmp_path / "run", tmp_path / "cfg")
    for key in ("AVEVENTS_RUNTIME_DIR", "AVEVENTS_CONFIG_DIR"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.setenv("AVEVENTS_MODEL_STORE", str(tmp_path / "store"))
    tray = TrayApp(QApplication.instance(), poll_ms=200)
    qtbot.addWidget(tray.window)
    try:
        assert tray.tray is None and tray.window.isVisible()  # offscreen has no system tray: the window
        tray.link.start_polling()
        qtbot.waitUntil(lambda: tray.link.state.name == "stopped", timeout=5000)
        assert tray.controls.start_action.isEnabled() and not tray.controls.stop_action.isEnabled()
        tray.controls.start()
        assert tray.link.state.name in ("starting", "stopped")
        qtbot.waitUntil(lambda: tray.link.state.name == "idle", timeout=60000)
        assert "idle" in tray.window.state_label.text()
        from avevents.core.paths import DaemonInfo

        os.kill(DaemonInfo.read().pid, signal.SIGKILL)  # gone mid-session, without cleaning up
        qtbot.waitUntil(lambda: tray.link.state.name in ("stopped", "error"), timeout=10000)
        (tmp_path / "run" / "daemon.json").unlink(missing_ok=True)
        tray.controls.start()
        qtbot.waitUntil(lambda: tray.link.state.name == "idle", timeout=60000)
        tray.controls.stop()
        qtbot.waitUntil(lambda: tray.link.state.name == "stopped", timeout=30000)
    finally:
        tray.link.timer.stop()
        tray.link.wait_idle()
        stop_daemon_in(tmp_path / "run")


def test_settings_are_saved_and_start_at_login_is_written(qtbot, tmp_path, monkeypatch):
    from avevents.tray.settings import autostart_entry, load_settings
    from avevents.tray.views.settings import SettingsView

    monkeypatch.setenv("AVEVENTS_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    view = SettingsView()
    qtbot.addWidget(view)
    view.port.setValue(50777)
    view.pack.setCurrentText("audioset")
    view.labels.setText("Laughter, Applause")
    view.sensitivity.setValue(70)
    view.start_at_login.setChecked(True)
    view.save()
    saved = load_settings()
    assert (saved.tcp_port, saved.default_pack, saved.labels, saved.sensitivity) == (
        50777,
        "audioset",
        "Laughter, Applause",
        0.7,
    )
    assert saved.daemon_args() == ["--tcp", "50777"]
    entry = autostart_entry("linux")
    assert entry.is_file() and "avevents.cli.main tray" in entry.read_text()
    view.start_at_login.setChecked(False)
    view.save()
    assert not entry.exists()


def test_screenshots_of_every_view(qtbot, daemon_with_mirror, tmp_path):
    from avevents.tray.screenshots import VIEWS, render

    paths = render(tmp_path / "shots", settle_ms=800)
    assert [p.name for p in paths] == [f"tray-{v}.png" for v in VIEWS]
    assert all(p.stat().st_size > 5000 for p in paths)


def test_saved_defaults_reach_the_editor_integrations(tmp_path, monkeypatch):
    from avevents.plugins.resolve.defaults import load_defaults
    from avevents.tray.settings import TraySettings, save_settings

    monkeypatch.setenv("AVEVENTS_CONFIG_DIR", str(tmp_path / "cfg"))
    assert load_defaults(tmp_path / "cfg") == {"pack": "", "labels": [], "sensitivity": None}
    save_settings(TraySettings(default_pack="audioset", labels="Laughter, Music", sensitivity=0.8))
    assert load_defaults(tmp_path / "cfg") == {"pack": "audioset", "labels": ["Laughter", "Music"], "sensitivity": 0.8}
