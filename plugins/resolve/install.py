"""``avevents resolve install | uninstall``: the menu scripts, where Resolve finds them.

Each script is a small launcher that records this interpreter and where the plugin's standard-library
modules live, loads them under the name ``avevents_resolve`` and runs the action. Installed on the Edit
page (Workspace > Scripts > Edit) and on every page (Utility). What was written is recorded in the config
folder with each file's checksum, so ``uninstall`` removes exactly those files (and leaves a file the
user has since replaced).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from avevents.core.errors import InstallError
from avevents.core.paths import config_dir

log = logging.getLogger(__name__)
RECORD = "resolve-install.json"
PAGES = ("Edit", "Utility")
SCRIPTS = {"Detect events (avevents).py": "detect", "Clear avevents markers.py": "clear"}
HEADER = "# avevents launcher"


def scripts_root(scope: str = "user", platform: str = sys.platform, env: dict | None = None) -> Path:
    """Resolve's ``Fusion/Scripts`` folder for this user or for all users."""
    env = os.environ if env is None else env
    home = Path(env.get("HOME") or Path.home())
    if platform == "win32":
        if scope == "system":
            return Path(env.get("PROGRAMDATA", r"C:\ProgramData")) / "Blackmagic Design/DaVinci Resolve/Fusion/Scripts"
        base = Path(env.get("APPDATA", home / "AppData" / "Roaming"))
        return base / "Blackmagic Design/DaVinci Resolve/Support/Fusion/Scripts"
    if platform == "darwin":
        base = Path("/Library") if scope == "system" else home / "Library"
        return base / "Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts"
    if scope == "system":
        return Path("/opt/resolve/Fusion/Scripts")
    return home / ".local/share/DaVinciResolve/Fusion/Scripts"


def plugin_dir() -> Path:
    """The folder of this package's modules (site-packages, or the source tree of an editable install)."""
    return Path(__file__).resolve().parent


def launcher_text(action: str, python: str | None = None) -> str:
    settings = {
        "python": python or sys.executable,
        "package": str(plugin_dir()),
        "config_dir": str(config_dir()),
    }
    return f"""{HEADER} (written by `avevents resolve install`; removed by `avevents resolve uninstall`)
# Runs in Resolve's own Python (standard library only); detection happens in avevents' interpreter below.
AVEVENTS = {json.dumps(settings, indent=4)}
ACTION = {action!r}


def _run():
    import importlib
    import importlib.util
    import os
    import sys

    package = AVEVENTS["package"]
    if not os.path.isfile(os.path.join(package, "__init__.py")):
        print("avevents is no longer installed at " + package + ": run `avevents resolve install` again")
        return
    if "avevents_resolve" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "avevents_resolve", os.path.join(package, "__init__.py"), submodule_search_locations=[package]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules["avevents_resolve"] = module
        spec.loader.exec_module(module)
    entry = importlib.import_module("avevents_resolve.entry")
    entry.main(ACTION, AVEVENTS, globals())


_run()
"""


@dataclass
class Change:
    path: Path
    action: str  # "write" | "remove" | "keep"
    reason: str = ""


def _sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def _record_path() -> Path:
    return config_dir() / RECORD


def _read_record() -> dict:
    try:
        return json.loads(_record_path().read_text())
    except (OSError, ValueError):
        return {"files": {}}


def install(scope: str = "user", root: Path | None = None, dry_run: bool = False) -> list[Change]:
    """Write the launchers for both pages; returns what was (or, dry, would be) done."""
    explicit = root is not None
    root = Path(root) if explicit else scripts_root(scope)
    if scope == "system" and not explicit and not root.parent.parent.exists():
        raise InstallError(f"no DaVinci Resolve installation at {root.parent.parent} (use --user)")
    changes = []
    record = _read_record()
    for page in PAGES:
        for name, action in SCRIPTS.items():
            path = root / page / name
            text = launcher_text(action)
            changes.append(Change(path, "write"))
            if dry_run:
                continue
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(path.name + ".tmp")
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(path)
            except OSError as exc:
                hint = " (all-users folders need an administrator: sudo, or --user)" if scope == "system" else ""
                raise InstallError(f"cannot write {path}: {exc.strerror or exc}{hint}") from None
            record["files"][str(path)] = _sha(text)
    if not dry_run:
        _record_path().write_text(json.dumps(record, indent=2))
    return changes


def uninstall(dry_run: bool = False) -> list[Change]:
    """Remove the launchers this machine's installs wrote (those still carrying the launcher header)."""
    record = _read_record()
    changes = []
    for name in list(record["files"]):
        path = Path(name)
        if not path.exists():
            changes.append(Change(path, "keep", "already gone"))
            record["files"].pop(name)
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if not text.startswith(HEADER):
            changes.append(Change(path, "keep", "replaced by another file since; left alone"))
            record["files"].pop(name)
            continue
        changes.append(Change(path, "remove"))
        if not dry_run:
            try:
                path.unlink()
            except OSError as exc:
                raise InstallError(f"cannot remove {path}: {exc.strerror or exc}") from None
            record["files"].pop(name)
    if not dry_run:
        _record_path().write_text(json.dumps(record, indent=2))
    return changes
