"""DaVinci Resolve integration: "Detect events" puts labelled markers on the current timeline.

Everything Resolve's own Python imports from here (``scope``, ``markers``, ``link``, ``app``, ``ui``,
``entry``, and the shared ``plugins/markers`` package they use) is standard library only: Resolve's
interpreter has no grpcio or NumPy. Detection itself runs in avevents' interpreter (``worker``), reached
over JSON lines on a subprocess's pipes, or directly when the client is importable (external scripting,
``external``).
"""

if "." not in __name__:
    # Resolve's own Python: an installed launcher (install.py) loads this folder alone, as the top-level
    # ``avevents_resolve``, and imports its ``entry``. The modules reach the shared markers as ``..markers``,
    # which needs the plugins folder above them as a package: make that one (only its folder is needed) and
    # give the launcher that copy's ``entry``. Launchers installed before stay valid.
    import importlib
    import os
    import sys
    import types

    if "avevents_plugins" not in sys.modules:
        _plugins = types.ModuleType("avevents_plugins", "avevents' plugins folder, for Resolve's own Python")
        _plugins.__path__ = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
        sys.modules["avevents_plugins"] = _plugins
    sys.modules[__name__ + ".entry"] = importlib.import_module("avevents_plugins.resolve.entry")
