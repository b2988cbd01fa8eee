"""The Detect events window driven like a user would, on the UIManager stand-in, with the real worker
and daemon behind it: status, packs, scope, progress, summary, Start daemon, and bad track lists."""

from __future__ import annotations

import sys
from fractions import Fraction

from avevents.plugins.markers.palette import DEFAULT_PALETTE
from avevents.plugins.resolve.link import WorkerLink
from avevents.plugins.resolve.ui import DetectWindow, parse_tracks, text_bar

from ...conftest import isolated_env, start_daemon, stop_daemon_in
from .fake_resolve import MediaPoolItem, Resolve, Timeline, TimelineItem
from .fake_uimanager import Dispatcher, UIManager


def _timeline(clip):
    tl = Timeline("Edit", Fraction(30000, 1001))
    n = round(clip.duration * 30000 / 1001)
    tl.place(
        "video", 1, TimelineItem("shots", MediaPoolItem(str(clip.path), Fraction(30000, 1001)), tl.GetStartFrame(), n)
    )
    return tl


def _wait(window):
    window.thread.join(60)
    assert not window.thread.is_alive()


def test_window_detects_with_the_chosen_scope_and_reports(cut_clip):
    daemon = start_daemon()
    link = WorkerLink(sys.executable, env=daemon.env)
    try:
        tl = _timeline(cut_clip)
        tl.SetMarkInOut(0, round(cut_clip.cuts[1] * 30000 / 1001) + 5)  # covers the first two cuts
        ui, dispatcher = UIManager(), Dispatcher(None)
        window = DetectWindow(ui, dispatcher, Resolve(tl), link, DEFAULT_PALETTE)
        items = window.items
        window.refresh()
        assert "running" in items["Status"].Text and not items["StartDaemon"].Enabled and items["Detect"].Enabled
        assert items["Pack"].CurrentText == "builtin" and "builtin" in items["Pack"].items
        items["Scope"].CurrentIndex = 1  # In/out range
        items["Labels"].Text = "Scene cut"
        seen = []
        original = window.on_progress
        window.on_progress = lambda *a: (seen.append(a), original(*a))
        window.win.click("Detect")
        _wait(window)
        assert "2 marker(s) on 'Edit' (inout)" in items["Summary"].Text, items["Summary"].Text
        assert sorted(m["name"] for m in tl.markers.values()) == ["Scene cut", "Scene cut"]
        assert seen and items["Detect"].Enabled and not items["Cancel"].Enabled
        items["VideoTracks"].Text = "one"
        window.win.click("Detect")
        assert "not 'all', 'none' or numbers" in items["Summary"].Text
    finally:
        link.close()
        daemon.stop()


def test_window_offers_to_start_the_daemon(tmp_path, cut_clip):
    env = isolated_env(tmp_path / "run", tmp_path / "cfg")
    link = WorkerLink(sys.executable, env=env)
    try:
        window = DetectWindow(UIManager(), Dispatcher(None), Resolve(_timeline(cut_clip)), link, DEFAULT_PALETTE)
        window.refresh()
        assert "not running" in window.items["Status"].Text and window.items["StartDaemon"].Enabled
        window.items["Labels"].Text = "Scene cut"
        window.win.click("Detect")
        _wait(window)
        assert "Click Start daemon" in window.items["Summary"].Text
        window.win.click("StartDaemon")
        assert "running" in window.items["Status"].Text and not window.items["StartDaemon"].Enabled
        window.win.click("Detect")
        _wait(window)
        assert "3 marker(s)" in window.items["Summary"].Text
    finally:
        link.close()
        stop_daemon_in(tmp_path / "run")


def test_run_shows_the_window_and_close_ends_the_loop(cut_clip):
    link = WorkerLink("/nonexistent/python")  # status fails: said in the window, nothing crashes
    dispatcher = Dispatcher(None)
    window = DetectWindow(UIManager(), dispatcher, Resolve(_timeline(cut_clip)), link, DEFAULT_PALETTE)
    dispatcher.loop_script = lambda win: (setattr(win, "seen_visible", win.visible), win.click("Close"))
    window.run()
    assert window.win.seen_visible and not window.win.visible
    assert "cannot start avevents' Python" in window.items["Status"].Text


def test_small_helpers():
    assert parse_tracks("all") is None and parse_tracks(" 1, 3 ") == [1, 3] and parse_tracks("none") == []
    assert text_bar(0.5, 10) == "[#####-----]  50 %"
