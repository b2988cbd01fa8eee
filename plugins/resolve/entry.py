"""What the installed menu scripts run inside Resolve (standard library only): ``main(action, config,
globals())`` with action "detect" (the window, or a headless run with the defaults where Resolve gives
no UIManager) or "clear"."""

from __future__ import annotations

from pathlib import Path

from ..markers.palette import PALETTE_FILE, PaletteError, load_palette
from .app import DetectSettings, clear_markers, detect_events
from .defaults import load_defaults
from .link import LinkError, WorkerLink
from .scope import ScopeError, ScopeOptions


def resolve_from(g: dict):
    """The ``resolve`` object of a script's globals (older versions give only ``bmd``)."""
    resolve = g.get("resolve")
    bmd = g.get("bmd")
    if resolve is None and bmd is not None:
        try:
            resolve = bmd.scriptapp("Resolve")
        except Exception:  # an edition without scripting raises rather than returning None
            resolve = None
    return resolve


def say(text: str, g: dict) -> None:
    """To the console always; in a small window too when Resolve gives a UIManager."""
    print(f"avevents: {text}")
    fusion, bmd = g.get("fusion"), g.get("bmd")
    ui = getattr(fusion, "UIManager", None) if fusion is not None else None
    if ui is None or bmd is None:
        return
    dispatcher = bmd.UIDispatcher(ui)
    win = dispatcher.AddWindow(
        {"ID": "AvEventsMessage", "WindowTitle": "avevents", "Geometry": [300, 300, 460, 160]},
        ui.VGroup([ui.Label({"Text": text, "WordWrap": True}), ui.Button({"ID": "Ok", "Text": "OK"})]),
    )

    def close(event=None):
        dispatcher.ExitLoop()

    win.On.Ok.Clicked = close
    win.On.AvEventsMessage.Close = close
    win.Show()
    dispatcher.RunLoop()
    win.Hide()


def make_link(config: dict):
    """The gRPC client directly where this Python has avevents and grpcio; else the JSON-lines worker
    under the avevents interpreter the installer recorded (Resolve's own Python has no grpcio)."""
    try:
        from avevents.plugins.resolve.service import DirectLink
    except ImportError:
        return WorkerLink(config["python"])
    return DirectLink()


def main(action: str, config: dict, g: dict) -> None:
    resolve = resolve_from(g)
    link = make_link(config)
    try:
        palette = load_palette(Path(config["config_dir"]) / PALETTE_FILE)
        defaults = load_defaults(config["config_dir"])
        if action == "clear":
            count = clear_markers(resolve, ScopeOptions())
            say(f"removed {count} avevents marker(s); your own markers were not touched", g)
        elif action == "detect":
            fusion, bmd = g.get("fusion"), g.get("bmd")
            ui = getattr(fusion, "UIManager", None) if fusion is not None else None
            if ui is not None and bmd is not None:
                from .ui import DetectWindow

                DetectWindow(ui, bmd.UIDispatcher(ui), resolve, link, palette, defaults).run()
            else:
                settings = DetectSettings(
                    pack=defaults["pack"], labels=defaults["labels"], sensitivity=defaults["sensitivity"]
                )
                summary = detect_events(resolve, settings, link, palette, _print_progress)
                for line in summary.lines():
                    print(f"avevents: {line}")
        else:
            say(f"unknown action {action!r}", g)
    except (ScopeError, PaletteError) as exc:
        say(str(exc), g)
    except LinkError as exc:
        hint = (
            " Start it with `avevents serve` (or from the Detect events window)."
            if exc.kind == "DaemonUnavailable"
            else ""
        )
        say(f"{exc.message}.{hint}", g)
    finally:
        link.close()


def _print_progress(index: int, count: int, stage: str, fraction: float, message: str) -> None:
    print(f"avevents: media {index + 1}/{count} {stage} {fraction * 100:.0f} % {message}".rstrip())
