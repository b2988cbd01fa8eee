"""What the engine and the daemon are set to: one frozen object, made where the program starts and passed
down (standard library only).

The command line and the ``AVEVENTS_*`` environment are read here and nowhere below the entry points:
``Settings.from_environment()`` reads the variables once, a command's flags lay ``dataclasses.replace``
changes over that, and the result travels as an argument (``ResidentModels(settings=...)``, then each
model, then its runner). A variable holding nonsense is reported once and its default used, so a typo
never stops the daemon.

=============================== ==========================================================================
variable                        setting
=============================== ==========================================================================
``AVEVENTS_RUNNER``             ``runner.backend``: tensorrt, torch, onnxruntime or triton (serve ``--runner``)
``AVEVENTS_TRITON_URL``         ``runner.triton_url`` (serve ``--triton-url``)
``AVEVENTS_CROSS_BATCH``        ``runner.cross_batching``: on / off / auto (serve ``--cross-batching``)
``AVEVENTS_BATCH_WAIT_MS``      ``runner.batch_wait_ms`` (serve ``--batch-wait-ms``)
``AVEVENTS_TORCH_COMPILE``      ``runner.torch_compile`` (serve ``--torch-compile``)
``AVEVENTS_DEVICE_PREPROCESS``  ``runner.device_preprocess``: on / off / auto (serve ``--device-preprocess``)
``AVEVENTS_MODEL_STORE``        ``store.root``: where packs are installed
``AVEVENTS_MODEL_MIRROR``       ``store.mirror``: a folder to install packs from instead of downloading
``AVEVENTS_CACHE``              ``cache.enabled``: off turns the result cache off
``AVEVENTS_CACHE_DIR``          ``cache.root``
``AVEVENTS_CACHE_MAX_MB``       ``cache.max_bytes``
``AVEVENTS_TOKEN``              ``token``: the TCP daemon's token for a client (else the token file)
=============================== ==========================================================================

Where the per-user folders are (``AVEVENTS_RUNTIME_DIR``, ``AVEVENTS_CONFIG_DIR``) stays in
``core.paths``: the Resolve scripts and the tray find the daemon's socket through it without settings.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_BATCH_WAIT_MS = 2.0
DEFAULT_CACHE_MAX_MB = 2048
BACKENDS = ("tensorrt", "torch", "onnxruntime", "triton")
_ON = ("on", "1", "true", "yes")
_OFF = ("off", "0", "false", "no")


@dataclass(frozen=True)
class RunnerSettings:
    """How networks run: which backend and the switches around it (None: decided per device)."""

    backend: str = ""  # empty: the best available (tensorrt -> torch on CUDA -> onnxruntime)
    triton_url: str = ""
    cross_batching: bool | None = None  # None: on for a GPU or a server, off on the CPU (measured slower)
    batch_wait_ms: float = DEFAULT_BATCH_WAIT_MS
    torch_compile: bool = False
    device_preprocess: bool | None = None  # None: on a CUDA device

    def cross_batching_on(self, device: str) -> bool:
        """Whether a runner on ``device`` batches across requests."""
        return self.cross_batching if self.cross_batching is not None else device != "cpu"

    def device_preprocess_on(self, device: str) -> bool:
        """Whether input preparation runs on ``device`` ("on" on the CPU runs the folded module there too:
        the tests' way to check it)."""
        return self.device_preprocess if self.device_preprocess is not None else device.startswith("cuda")


DEFAULT_RUNNER = RunnerSettings()  # frozen: safe as a default argument


@dataclass(frozen=True)
class StoreSettings:
    """Where packs are installed (None: the per-user data folder) and an optional mirror to install from."""

    root: Path | None = None
    mirror: Path | None = None


@dataclass(frozen=True)
class CacheSettings:
    """The result cache: on or off, its folder (None: the per-user cache folder) and its size limit."""

    enabled: bool = True
    root: Path | None = None
    max_bytes: int = DEFAULT_CACHE_MAX_MB << 20


@dataclass(frozen=True)
class Settings:
    """Everything below the entry points is told, never looks up."""

    runner: RunnerSettings = field(default_factory=RunnerSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    token: str = ""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the ``AVEVENTS_*`` variables of ``environ`` (default: this process's) give."""
        env = _Reader(os.environ if environ is None else environ)
        runner = RunnerSettings(
            backend=env.choice("AVEVENTS_RUNNER", ("", *BACKENDS)),
            triton_url=env.text("AVEVENTS_TRITON_URL"),
            cross_batching=env.switch("AVEVENTS_CROSS_BATCH"),
            batch_wait_ms=env.number("AVEVENTS_BATCH_WAIT_MS", DEFAULT_BATCH_WAIT_MS),
            torch_compile=bool(env.switch("AVEVENTS_TORCH_COMPILE")),
            device_preprocess=env.switch("AVEVENTS_DEVICE_PREPROCESS"),
        )
        store = StoreSettings(root=env.path("AVEVENTS_MODEL_STORE"), mirror=env.path("AVEVENTS_MODEL_MIRROR"))
        cache = CacheSettings(
            enabled=env.switch("AVEVENTS_CACHE") is not False,
            root=env.path("AVEVENTS_CACHE_DIR"),
            max_bytes=int(env.number("AVEVENTS_CACHE_MAX_MB", DEFAULT_CACHE_MAX_MB) * 2**20),
        )
        return cls(runner=runner, store=store, cache=cache, token=env.text("AVEVENTS_TOKEN"))

    def with_runner(self, **changes) -> Settings:
        """A copy with ``changes`` to the runner settings (a command's flags over the environment's)."""
        return replace(self, runner=replace(self.runner, **changes))

    def with_cache(self, **changes) -> Settings:
        """A copy with ``changes`` to the cache settings."""
        return replace(self, cache=replace(self.cache, **changes))


class _Reader:
    """Typed reads of environment variables; a value that cannot be meant is logged with its default."""

    def __init__(self, environ: Mapping[str, str]):
        self._env = environ

    def text(self, name: str) -> str:
        return self._env.get(name, "").strip()

    def path(self, name: str) -> Path | None:
        value = self.text(name)
        return Path(value).expanduser() if value else None

    def switch(self, name: str) -> bool | None:
        value = self.text(name).lower()
        if value in _ON:
            return True
        if value in _OFF:
            return False
        if value not in ("", "auto"):
            log.warning("%s=%r is not on, off or auto; using auto", name, value)
        return None

    def number(self, name: str, default: float) -> float:
        value = self.text(name)
        if not value:
            return default
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not 0 <= number < float("inf"):  # NaN, negative or infinite
            log.warning("%s=%r is not a non-negative number; using %g", name, value, default)
            return default
        return number

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.text(name).lower()
        if value not in choices:
            log.warning("%s=%r is not one of %s; using the best available", name, value, ", ".join(choices[1:]))
            return ""
        return value
