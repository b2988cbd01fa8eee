"""Per-user folders: one that cannot be made is one line (UnsafeDirectory), not a traceback."""

from __future__ import annotations

import pytest

from avevents.core.errors import UnsafeDirectory
from avevents.core.paths import config_dir


def test_a_folder_that_cannot_be_made_is_one_line(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("x")
    monkeypatch.setenv("AVEVENTS_CONFIG_DIR", str(blocker / "avevents"))
    with pytest.raises(UnsafeDirectory, match=r"^cannot use .*a file/avevents for avevents: Not a directory$"):
        config_dir()
    monkeypatch.setenv("AVEVENTS_CONFIG_DIR", str(tmp_path / "fine"))
    assert config_dir().is_dir()
