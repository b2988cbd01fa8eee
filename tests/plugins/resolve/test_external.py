"""``avevents resolve detect | clear`` from outside Resolve (external scripting), with Blackmagic's
DaVinciResolveScript module standing in for a running Resolve Studio, and a real daemon."""

from __future__ import annotations

import sys
import types
from fractions import Fraction

import pytest

from avevents.cli.main import main as cli

from ...conftest import start_daemon
from .fake_resolve import MediaPoolItem, Resolve, Timeline, TimelineItem


@pytest.fixture
def resolve_module(monkeypatch):
    def install(app):
        module = types.SimpleNamespace(scriptapp=lambda name: app if name == "Resolve" else None)
        monkeypatch.setitem(sys.modules, "DaVinciResolveScript", module)

    return install


def test_external_detect_and_clear(resolve_module, monkeypatch, cut_clip, capsys):
    daemon = start_daemon()
    try:
        for key in ("AVEVENTS_RUNTIME_DIR", "AVEVENTS_CONFIG_DIR"):
            monkeypatch.setenv(key, daemon.env[key])
        tl = Timeline("Edit", Fraction(30000, 1001))
        n = round(cut_clip.duration * 30000 / 1001)
        tl.place(
            "video",
            1,
            TimelineItem("s", MediaPoolItem(str(cut_clip.path), Fraction(30000, 1001)), tl.GetStartFrame(), n),
        )
        tl.AddMarker(5, "Blue", "mine", "", 1, "")
        resolve_module(Resolve(tl))
        assert cli(["resolve", "detect", "--labels", "Scene cut", "--sensitivity", "0.5"]) == 0
        assert "3 marker(s) on 'Edit' (timeline)" in capsys.readouterr().out
        assert len(tl.markers) == 4
        assert cli(["resolve", "clear"]) == 0
        assert "removed 3 avevents marker(s)" in capsys.readouterr().out and list(tl.markers) == [5]
    finally:
        daemon.stop()


def test_external_mode_explains_what_is_missing(resolve_module, monkeypatch, tmp_path, capsys):
    resolve_module(None)  # Resolve not running, or external scripting off
    assert cli(["resolve", "clear"]) == 2
    assert "External scripting using: Local" in capsys.readouterr().err
    monkeypatch.delitem(sys.modules, "DaVinciResolveScript")
    monkeypatch.setenv("RESOLVE_SCRIPT_API", str(tmp_path / "nowhere"))
    assert cli(["resolve", "detect"]) == 2
    assert "DaVinciResolveScript was not found" in capsys.readouterr().err
