"""One frozen Settings, read from the environment once at the entry points and passed down."""

from __future__ import annotations

import ast
import logging
import os
from pathlib import Path

import pytest

from avevents.cli.daemon_commands import serve_settings
from avevents.cli.main import build_parser
from avevents.core.settings import CacheSettings, RunnerSettings, Settings, StoreSettings

from .. import layers

# Where an AVEVENTS_* variable may still be read, and why.
READERS = {
    "avevents.core.settings": "the one reader of the settings",
    "avevents.core.paths": "the per-user folders (the Resolve scripts and the tray find the socket without settings)",
    "avevents.cli.main": "--log-level's default, at the entry point itself",
}


def test_every_variable_maps_to_its_setting(tmp_path):
    env = {
        "AVEVENTS_RUNNER": "torch",
        "AVEVENTS_TRITON_URL": "http://gpu-box:8000",
        "AVEVENTS_CROSS_BATCH": "on",
        "AVEVENTS_BATCH_WAIT_MS": "7.5",
        "AVEVENTS_TORCH_COMPILE": "yes",
        "AVEVENTS_DEVICE_PREPROCESS": "off",
        "AVEVENTS_MODEL_STORE": str(tmp_path / "store"),
        "AVEVENTS_MODEL_MIRROR": str(tmp_path / "mirror"),
        "AVEVENTS_CACHE": "off",
        "AVEVENTS_CACHE_DIR": str(tmp_path / "cache"),
        "AVEVENTS_CACHE_MAX_MB": "10",
        "AVEVENTS_TOKEN": "secret",
    }
    assert Settings.from_environment(env) == Settings(
        runner=RunnerSettings("torch", "http://gpu-box:8000", True, 7.5, True, False),
        store=StoreSettings(tmp_path / "store", tmp_path / "mirror"),
        cache=CacheSettings(False, tmp_path / "cache", 10 << 20),
        token="secret",
    )
    assert Settings.from_environment({}) == Settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [("AVEVENTS_CROSS_BATCH", "sometimes"), ("AVEVENTS_BATCH_WAIT_MS", "nan"), ("AVEVENTS_CACHE_MAX_MB", "-1"),
     ("AVEVENTS_RUNNER", "cuda"), ("AVEVENTS_BATCH_WAIT_MS", "inf")],
)  # fmt: skip
def test_nonsense_is_reported_once_and_the_default_used(name, value, caplog):
    caplog.set_level(logging.WARNING)
    assert Settings.from_environment({name: value}) == Settings()
    assert [r for r in caplog.records if name in r.getMessage()]


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        Settings().runner.backend = "torch"  # type: ignore[misc]


def test_serve_flags_lay_over_the_environment_without_writing_it(monkeypatch):
    monkeypatch.setenv("AVEVENTS_BATCH_WAIT_MS", "9")
    before = dict(os.environ)
    args = build_parser().parse_args(
        ["serve", "--runner", "torch", "--cross-batching", "off", "--device-preprocess", "on", "--torch-compile"]
    )
    settings = serve_settings(args, Settings.from_environment())
    assert settings.runner == RunnerSettings("torch", "", False, 9.0, True, True)
    assert dict(os.environ) == before
    auto = serve_settings(build_parser().parse_args(["serve"]), Settings())
    assert auto == Settings()


def _reads_avevents_variable(tree: ast.AST) -> list[int]:
    """Lines where a string constant AVEVENTS_* is read from the environment (os.environ.get / [] /
    os.getenv) or written into it."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("AVEVENTS_"):
            found.append(node.lineno)
    return found


def test_nothing_below_the_entry_points_reads_or_writes_the_environment():
    offenders = []
    for module, path in layers.modules().items():
        if module in READERS:
            continue
        tree = ast.parse(path.read_text())
        source = path.read_text().splitlines()
        for line in _reads_avevents_variable(tree):
            text = source[line - 1]
            if "environ" in text or "getenv" in text:
                offenders.append(f"{module}:{line}: {text.strip()}")
        for node in ast.walk(tree):  # os.environ[...] = ..., os.environ.update / setdefault
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Subscript) and "environ" in ast.unparse(t.value) for t in node.targets
            ):
                offenders.append(f"{module}:{node.lineno}: {ast.unparse(node)}")
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.environ.update", "os.environ.pop"):
                offenders.append(f"{module}:{node.lineno}: {ast.unparse(node)}")
    assert not offenders, offenders


def test_settings_reach_the_runner_without_the_environment(av_store, monkeypatch):
    """The daemon's --runner torch arrives as an argument: nothing in os.environ says it."""
    from avevents.engine.residency import ResidentModels

    monkeypatch.delenv("AVEVENTS_RUNNER", raising=False)
    settings = Settings(
        runner=RunnerSettings(backend="torch", cross_batching=True, batch_wait_ms=3),
        store=StoreSettings(Path(av_store.root)),
    )
    models = ResidentModels(settings=settings)
    try:
        tagger = models.get("efficientat-mn04-as")
        assert tagger.backend == "torch"
        assert type(tagger.runner).__name__ == "CrossRequestBatcher" and tagger.runner.max_wait_seconds == 0.003
        assert models.store.root == Path(av_store.root)
    finally:
        models.unload("efficientat-mn04-as")
