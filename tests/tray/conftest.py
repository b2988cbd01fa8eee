"""Qt runs offscreen in the tests (no display); the tray tests skip with the reason when PySide6 is not
installed (it is part of the dev install)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6", reason="the tray tests need PySide6 (pip install -e '.[dev]')")
