"""External mode: drive a running Resolve (Studio, external scripting on) from avevents' interpreter
through Blackmagic's ``DaVinciResolveScript`` module, detection through the gRPC client directly."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from .app import ResolveUnavailable

DEFAULT_API = {
    "linux": "/opt/resolve/Developer/Scripting",
    "darwin": "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Developer/Scripting",
    "win32": os.path.expandvars(r"%PROGRAMDATA%\Blackmagic Design\DaVinci Resolve\Support\Developer\Scripting"),
}
DEFAULT_LIB = {
    "linux": "/opt/resolve/libs/Fusion/fusionscript.so",
    "darwin": "/Applications/DaVinci Resolve/DaVinci Resolve.app/Contents/Libraries/Fusion/fusionscript.so",
    "win32": r"C:\Program Files\Blackmagic Design\DaVinci Resolve\fusionscript.dll",
}


def _platform() -> str:
    return "win32" if sys.platform == "win32" else "darwin" if sys.platform == "darwin" else "linux"


def scripting_module():
    """``DaVinciResolveScript``, found through RESOLVE_SCRIPT_API (or Resolve's default place)."""
    try:
        return importlib.import_module("DaVinciResolveScript")
    except ImportError:
        pass
    api = os.environ.get("RESOLVE_SCRIPT_API") or DEFAULT_API[_platform()]
    os.environ.setdefault("RESOLVE_SCRIPT_LIB", DEFAULT_LIB[_platform()])
    modules = str(Path(api) / "Modules")
    if modules not in sys.path:
        sys.path.append(modules)
    try:
        return importlib.import_module("DaVinciResolveScript")
    except ImportError:
        raise ResolveUnavailable(
            f"DaVinciResolveScript was not found in {modules}: install DaVinci Resolve Studio, or set "
            "RESOLVE_SCRIPT_API and RESOLVE_SCRIPT_LIB to its Developer/Scripting folder and fusionscript library"
        ) from None


def connect():
    """The running Resolve, or ResolveUnavailable saying what to switch on."""
    resolve = scripting_module().scriptapp("Resolve")
    if resolve is None:
        raise ResolveUnavailable(
            "Resolve did not answer: start DaVinci Resolve Studio and set Preferences > System > General > "
            "External scripting using: Local (the free edition has no external scripting)"
        )
    return resolve
