"""Installing the menu scripts, and running an installed launcher the way Resolve does: in an
interpreter with no third-party packages at all (``python -I -S``), globals ``resolve`` (the stand-in)
and nothing else, detection through the worker under avevents' interpreter and a real daemon."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from avevents.cli.main import main as cli
from avevents.plugins.resolve.install import PAGES, SCRIPTS, install, scripts_root, uninstall

from ...conftest import isolated_env, start_daemon

HERE = Path(__file__).resolve().parent


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("AVEVENTS_CONFIG_DIR", str(tmp_path / "cfg"))
    return tmp_path / "cfg"


def test_scripts_folders_per_platform():
    env = {"HOME": "/home/ed", "APPDATA": r"C:\Users\ed\AppData\Roaming", "PROGRAMDATA": r"C:\ProgramData"}
    assert scripts_root("user", "linux", env) == Path("/home/ed/.local/share/DaVinciResolve/Fusion/Scripts")
    assert scripts_root("system", "linux", env) == Path("/opt/resolve/Fusion/Scripts")
    mac = "Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts"
    assert scripts_root("user", "darwin", env) == Path("/home/ed/Library") / mac
    assert scripts_root("system", "darwin", env) == Path("/Library") / mac
    assert str(scripts_root("user", "win32", env)).endswith("Blackmagic Design/DaVinci Resolve/Support/Fusion/Scripts")
    assert str(scripts_root("system", "win32", env)).startswith(r"C:\ProgramData")


def test_install_dry_run_then_install_and_uninstall_only_ours(tmp_path, config, capsys):
    root = tmp_path / "Scripts"
    assert cli(["resolve", "install", "--scripts-dir", str(root), "--dry-run"]) == 0
    assert "would write" in capsys.readouterr().out and not root.exists()
    assert cli(["resolve", "install", "--scripts-dir", str(root)]) == 0
    written = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py"))
    assert written == sorted(f"{page}/{name}" for page in PAGES for name in SCRIPTS)
    launcher = (root / "Edit" / "Detect events (avevents).py").read_text()
    assert sys.executable in launcher and "ACTION = 'detect'" in launcher
    compile(launcher, "launcher", "exec")
    user_script = root / "Edit" / "My own script.py"
    user_script.write_text("print('mine')\n")
    replaced = root / "Utility" / "Clear avevents markers.py"
    replaced.write_text("print('the user replaced this one')\n")
    assert cli(["resolve", "uninstall", "--dry-run"]) == 0
    assert all(p.exists() for p in root.rglob("*.py"))
    changes = uninstall()
    assert sorted(c.action for c in changes) == ["keep", "remove", "remove", "remove"]
    assert sorted(p.name for p in root.rglob("*.py")) == ["Clear avevents markers.py", "My own script.py"]
    assert uninstall() == []


def test_system_install_without_rights_says_so(tmp_path, config):
    from avevents.plugins.resolve.install import InstallError

    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "Edit").write_text("a file where a folder must go")
    with pytest.raises(InstallError, match="cannot write"):
        install("user", locked)


def test_installed_launcher_runs_in_a_bare_interpreter_and_marks_the_timeline(tmp_path, config, cut_clip):
    daemon = start_daemon()
    try:
        root = tmp_path / "Scripts"
        install("user", root)
        launcher = root / "Edit" / "Detect events (avevents).py"
        driver = textwrap.dedent(
            f"""
            import runpy, sys
            from fractions import Fraction
            sys.path.insert(0, {str(HERE)!r})
            assert "grpc" not in sys.modules
            from fake_resolve import MediaPoolItem, Resolve, Timeline, TimelineItem
            tl = Timeline("Edit", Fraction(30000, 1001))
            tl.place("video", 1, TimelineItem("shots", MediaPoolItem({str(cut_clip.path)!r}, Fraction(30000, 1001)),
                                              tl.GetStartFrame() + 10, 300, source_offset=12))
            runpy.run_path({str(launcher)!r}, init_globals={{"resolve": Resolve(tl)}})
            try:
                import grpc
            except ImportError:
                print("no grpc here")
            for frame, m in sorted(tl.markers.items()):
                print("MARKER", frame, m["name"], m["duration"], m["customData"].split("|")[0])
            """
        )
        env = dict(daemon.env)
        out = subprocess.run(
            [sys.executable, "-I", "-S", "-c", driver], env=env, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        assert "no grpc here" in out.stdout  # the launcher side never needed it
        markers = [line.split() for line in out.stdout.splitlines() if line.startswith("MARKER")]
        rate = 30000 / 1001
        expected = [10 + round(t * rate) - 12 for t in cut_clip.cuts if 12 <= round(t * rate) < 312]
        got = [int(m[1]) for m in markers if m[2] == "Scene"]
        assert got == expected, out.stdout
        assert all(m[-1] == "avevents" for m in markers)
        assert "marker(s) on 'Edit'" in out.stdout
        # Without a running daemon the message says what to do.
        env_down = isolated_env(tmp_path / "run2", config)
        out = subprocess.run(
            [sys.executable, "-I", "-S", "-c", driver], env=env_down, capture_output=True, text=True, timeout=120
        )
        assert "not running" in out.stdout and "avevents serve" in out.stdout
    finally:
        daemon.stop()


def test_clear_launcher_without_resolve_explains_the_edition(tmp_path, config):
    root = tmp_path / "Scripts"
    install("user", root)
    out = subprocess.run(
        [sys.executable, "-I", "-S", str(root / "Utility" / "Clear avevents markers.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and "Resolve Studio" in out.stdout


def test_the_grpc_client_is_used_where_importable():
    from avevents.plugins.resolve.entry import make_link
    from avevents.plugins.resolve.service import DirectLink

    assert isinstance(make_link({"python": "/unused"}), DirectLink)  # this interpreter has avevents + grpcio
