"""The tray's settings, kept as JSON in the config folder (``tray.json``), and start-at-login entries.

Default pack, labels and sensitivity here are also the defaults of the editor integrations (the Resolve
window and ``avevents otio`` read the same file)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from avevents.core.paths import config_dir

SETTINGS_FILE = "tray.json"


@dataclass
class TraySettings:
    tcp_port: int = 0  # 0: the per-user Unix socket (TCP on Windows picks its own port)
    model_store: str = ""  # "": the default store folder
    default_pack: str = ""
    labels: str = ""  # comma-separated; "": the pack's defaults
    sensitivity: float = 0.5
    start_at_login: bool = False
    start_daemon_with_tray: bool = True
    stop_daemon_on_quit: bool = False

    def daemon_args(self) -> list[str]:
        return ["--tcp", str(self.tcp_port)] if self.tcp_port else []

    def daemon_env(self) -> dict[str, str]:
        return {"AVEVENTS_MODEL_STORE": self.model_store} if self.model_store else {}


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def load_settings() -> TraySettings:
    try:
        data = json.loads(settings_path().read_text())
    except (OSError, ValueError):
        return TraySettings()
    known = {f.name for f in fields(TraySettings)}
    return TraySettings(**{k: v for k, v in data.items() if k in known})


def save_settings(settings: TraySettings) -> Path:
    path = settings_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2))
    tmp.replace(path)
    return path


def autostart_entry(platform: str = sys.platform, env: dict | None = None) -> Path | None:
    """Where the start-at-login entry lives (None on Windows: a registry value)."""
    env = os.environ if env is None else env
    home = Path(env.get("HOME") or Path.home())
    if platform == "win32":
        return None
    if platform == "darwin":
        return home / "Library" / "LaunchAgents" / "org.avevents.tray.plist"
    return Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "autostart" / "avevents-tray.desktop"


def set_autostart(enabled: bool, python: str = sys.executable, platform: str = sys.platform) -> str:
    """Add or remove the tray from the programs started at login; returns where."""
    command = [python, "-m", "avevents.cli.main", "tray"]
    if platform == "win32":  # pragma: no cover - Windows only
        import winreg

        key = winreg.OpenKey(
            winreg.HKEY_CURRENT_USER, r"Software\Microsoft\Windows\CurrentVersion\Run", 0, winreg.KEY_SET_VALUE
        )
        with key:
            if enabled:
                winreg.SetValueEx(key, "avevents", 0, winreg.REG_SZ, " ".join(f'"{c}"' for c in command))
            else:
                with contextlib.suppress(FileNotFoundError):  # not there: nothing to remove
                    winreg.DeleteValue(key, "avevents")
        return r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run\avevents"
    path = autostart_entry(platform)
    if not enabled:
        path.unlink(missing_ok=True)
        return str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if platform == "darwin":
        arguments = "".join(f"<string>{c}</string>" for c in command)
        path.write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>'
            "<key>Label</key><string>org.avevents.tray</string>"
            f"<key>ProgramArguments</key><array>{arguments}</array>"
            "<key>RunAtLoad</key><true/></dict></plist>\n"
        )
    else:
        path.write_text(
            "[Desktop Entry]\nType=Application\nName=avevents\nComment=Audio-visual event detector\n"
            f"Exec={' '.join(command)}\nX-GNOME-Autostart-enabled=true\n"
        )
    return str(path)
