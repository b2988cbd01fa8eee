"""Models kept resident between requests: loaded once on first use, unloaded on request (what each model
is and how it loads: model_entries.py).

Thread-safe: analysis threads ask for a model while the gRPC loop loads or unloads another.
"""

from __future__ import annotations

import gc
import logging
import threading
import time

import psutil

from avevents.core.errors import ModelUnavailable, UnknownModel
from avevents.core.settings import Settings
from avevents.models import silero_vad
from avevents.models.store import ModelStore

from .detectors.builtin import AUDIOSET_PACK
from .model_entries import (
    LoadContext,
    ModelState,
    catalog_entries,
    device_allowed,
    fusion_entry,
    pack_bytes,
)

log = logging.getLogger(__name__)


class ResidentModels:
    """The daemon's (or an in-process run's) loaded models.

    Two kinds of lock, so that status never waits for a load: ``_lock`` guards the table of states and is
    only held for moments; each model has its own load lock, held while its loader runs (seconds), so
    a second request for the same model waits for that load instead of starting another, and other
    models, ``states()`` and ``loaded()`` go on meanwhile.
    """

    def __init__(self, default_device: str = "cpu", settings: Settings | None = None):
        """:param settings: how models run and where the store is; None: ``Settings.from_environment()``
        (the entry points pass theirs; this default is for scripts and tests)."""
        self.settings = settings if settings is not None else Settings.from_environment()
        # One store for every load, listing and plan of this set of models.
        self.store = ModelStore.configured(self.settings.store)
        self.default_device = default_device
        self.device_overrides: dict[str, str] = {}
        self._lock = threading.RLock()
        self._load_locks: dict[str, threading.Lock] = {}
        self._states = {e.name: ModelState(e) for e in catalog_entries()}
        for state in self._states.values():
            if not state.entry.resident:
                state.loaded, state.device = True, "cpu"
        self._check_availability()

    def _check_availability(self) -> None:
        try:
            path = silero_vad.model_dir() / silero_vad.SEQUENCE_MODEL
            ok = path.is_file()
            detail = str(path) if ok else f"missing: {path}"
        except ModelUnavailable as exc:
            ok, detail = False, str(exc)
        state = self._states["silero-vad"]
        state.available, state.detail = ok, detail
        self.refresh_store()

    def use_store(self, store: ModelStore) -> None:
        """Take packs from ``store`` from now on (a long-lived set of models whose store moved: the tests'
        session set, each test module's store); models already loaded stay loaded."""
        self.store = store
        self.refresh_store()

    def _load_lock(self, name: str) -> threading.Lock:
        with self._lock:
            return self._load_locks.setdefault(name, threading.Lock())

    def refresh_store(self) -> None:
        """Re-read which store packs are installed (after a pull, import or remove)."""
        from avevents.models.catalog import is_fusion_pack

        # The store is read without the table lock (disk I/O); the table is then updated at once.
        store = self.store
        local = {p.spec.name: p for p in map(store.installed, store.local_names()) if is_fusion_pack(p)}
        with self._lock:
            names = [n for n, st in self._states.items() if st.entry.pack == AUDIOSET_PACK]
        installed = {name: store.installed(name) for name in names}
        stale: list[str] = []
        with self._lock:
            for name, pack in local.items():
                entry = fusion_entry(pack)
                if name not in self._states or self._states[name].entry.source != entry.source:
                    if name in self._states:
                        stale.append(name)  # retrained under the same name: the new weights load next
                    self._states[name] = ModelState(entry)
            gone = [n for n, st in self._states.items() if st.entry.local and n not in local]
            for state in self._states.values():
                if state.entry.pack == AUDIOSET_PACK or state.entry.local:
                    pack = local.get(state.entry.name) or installed.get(state.entry.name)
                    state.available = pack is not None
                    state.detail = str(pack.path) if pack else f"not installed: avevents models pull {state.entry.name}"
                    state.size_bytes = pack_bytes(pack)
            removed = {n: self._states.pop(n) for n in gone}
        for state in removed.values():
            self._release(state)
        for name in stale:
            self.unload(name)

    def states(self) -> list[ModelState]:
        with self._lock:
            return list(self._states.values())

    def state(self, name: str) -> ModelState:
        with self._lock:
            found = self._states.get(name)
        if found is None:
            self.refresh_store()  # a pack trained since the last look
            with self._lock:
                found = self._states.get(name)
                if found is None:
                    raise UnknownModel(f"unknown model {name!r} (models: {', '.join(self._states)})")
        return found

    def get(self, name: str) -> object:
        """The loaded model, loading it on first use (or waiting for the load already under way)."""
        state = self.state(name)
        if not state.loaded:
            self.load(name)
        return state.obj

    @staticmethod
    def import_runtimes() -> None:
        """Import the inference libraries now. Their first import holds the GIL for up to a second
        (loading native libraries), so the daemon does it before it answers, not during a preload."""
        # onnx: the exports' checks; its native module alone takes ~0.7 s.
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
        import torch.onnx  # noqa: F401

        # Everything imported so far lives as long as the process: out of the collector's sight, the full
        # collection an unload runs (to free a model's reference cycles now) scans only what was made since,
        # 0.11 s of GIL per collection down to milliseconds, so status keeps answering meanwhile.
        gc.freeze()

    def loading(self) -> list[str]:
        """Names of the models being loaded right now."""
        with self._lock:
            return [n for n, st in self._states.items() if st.loading]

    def load(self, name: str, device: str = "") -> ModelState:
        state = self.state(name)
        explicit = device or self.device_overrides.get(name)
        device = explicit or self.default_device
        if not explicit and not device_allowed(device, state.entry.devices):
            log.info("%s runs on the CPU only; the default device %s does not apply", name, device)
            device = "cpu"
        if not device_allowed(device, state.entry.devices):
            raise ModelUnavailable(
                f"{name} cannot run on {device!r} here (it runs on: {', '.join(state.entry.devices)}; "
                "CUDA devices only where torch sees them)"
            )
        with self._load_lock(name):
            if state.loaded:
                return state
            if not state.available:
                self.refresh_store()
            if not state.available:
                raise ModelUnavailable(f"{name} cannot be loaded: {state.detail}")
            with self._lock:
                state.loading = True
            try:
                # No gc.collect() here: it holds the GIL for 0.1-0.25 s with torch imported, and the
                # daemon's event loop must keep answering during loads.
                rss_before = psutil.Process().memory_info().rss
                started = time.perf_counter()
                obj = state.entry.loader(device, LoadContext(self.store, self.settings.runner))
                memory = max(0, psutil.Process().memory_info().rss - rss_before)
            finally:
                with self._lock:
                    state.loading = False
            with self._lock:
                state.obj, state.memory_bytes = obj, memory
                state.loaded, state.device, state.loaded_at = True, device, time.time()
            log.info("loaded %s on %s in %.2f s (%.1f MB)", name, device, time.perf_counter() - started, memory / 1e6)
            return state

    def unload(self, name: str) -> ModelState:
        """Free a model (waiting for its load if one is under way)."""
        state = self.state(name)
        with self._load_lock(name):
            self._release(state)
        return state

    def _release(self, state: ModelState) -> None:
        if not (state.entry.resident and state.loaded):
            return
        with self._lock:
            obj, state.obj = state.obj, None
            state.loaded, state.device, state.memory_bytes = False, "", 0
        close = getattr(obj, "close", None)
        if close is not None:
            close()  # releases the runner's session / device memory now, not at some later gc
        del obj
        gc.collect()
        log.info("unloaded %s", state.entry.name)

    def set_default_device(self, device: str) -> None:
        """Where models load from now on (those loaded stay where they are)."""
        if not device_allowed(device, ("cpu", "cuda")):
            raise ModelUnavailable(f"no device {device!r} here (cpu, or cuda:N where torch sees that GPU)")
        with self._lock:
            self.default_device = device

    def set_model_device(self, name: str, device: str) -> ModelState:
        """Load ``name`` on ``device`` from now on; reload it there if it is loaded."""
        state = self.state(name)
        if not device_allowed(device, state.entry.devices):
            raise ModelUnavailable(
                f"{name} cannot run on {device!r} here (it runs on: {', '.join(state.entry.devices)})"
            )
        with self._lock:
            self.device_overrides[name] = device
        if state.loaded and state.entry.resident and state.device != device:
            self.unload(name)
            self.load(name, device)
        return state

    def loaded(self) -> list[ModelState]:
        return [s for s in self.states() if s.loaded and s.entry.resident]
