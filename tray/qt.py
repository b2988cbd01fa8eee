"""PySide6, imported lazily: a missing install names the extra to add."""

from __future__ import annotations

from avevents.core.errors import TrayUnavailable


def require_qt() -> None:
    try:
        import PySide6  # noqa: F401
    except ImportError:
        raise TrayUnavailable("the tray app needs PySide6: pip install 'avevents[tray]'") from None
