"""The model service: what is installed and resident, loading and unloading, devices, and the store
(pull, import, remove, TensorRT builds). Anything that touches the disk or waits for a model's lock runs
on the admin threads, never on the event loop."""

from __future__ import annotations

import asyncio
import logging
import platform
import threading
import time
from functools import partial

import psutil

from avevents.core.errors import InvalidRequest, ModelUnavailable
from avevents.engine.detectors.registry import Packs
from avevents.proto.v1 import avevents_pb2 as pb

from . import convert
from .service_base import ServiceBase, abort_with

log = logging.getLogger(__name__)


class ModelService(ServiceBase):
    """ListModels, LoadModel, UnloadModel, ListDevices, SetDevice, PullModel, ImportModel, RemoveModel,
    BuildEngine."""

    async def ListModels(self, request, context):
        try:
            pack = await self._blocking(lambda: Packs.read(self.models.store).default)
            models = await self._blocking(lambda: [convert.model_to_pb(s) for s in self.models.states()])
            return pb.ListModelsResponse(models=models, default_pack=pack)
        except Exception as exc:
            await abort_with(context, exc)

    async def LoadModel(self, request, context):
        try:
            state = await self._blocking(self.models.load, request.name, request.device)
            return convert.model_to_pb(state)
        except Exception as exc:
            await abort_with(context, exc)

    async def UnloadModel(self, request, context):
        try:
            return convert.model_to_pb(await self._blocking(self.models.unload, request.name))
        except Exception as exc:
            await abort_with(context, exc)

    async def ListDevices(self, request, context):
        return pb.ListDevicesResponse(devices=await self._blocking(list_devices, self.models.default_device))

    async def SetDevice(self, request, context):
        try:
            if request.model:
                await self._blocking(self.models.set_model_device, request.model, request.device)
            else:
                await self._blocking(self.models.set_default_device, request.device)
            return pb.SetDeviceResponse(
                default_device=self.models.default_device, models=[convert.model_to_pb(s) for s in self.models.states()]
            )
        except Exception as exc:
            await abort_with(context, exc)

    def _pack_info(self, name: str) -> pb.ModelInfo:
        """A store pack's state: the resident model's when it is one, else the catalog's facts."""
        from avevents.models.catalog import PACKS

        self.models.refresh_store()
        if name in {s.entry.name for s in self.models.states()}:
            return convert.model_to_pb(self.models.state(name))
        spec = PACKS.get(name)
        if spec is None:  # a local pack, just removed
            return pb.ModelInfo(name=name, pack="store", available=False, detail="removed (a pack made here)")
        pack = self.models.store.installed(name)
        return pb.ModelInfo(
            name=name,
            version=spec.version,
            pack="store",
            task=spec.task,
            available=pack is not None,
            source=spec.source,
            licence=spec.licence,
            detail=str(pack.path) if pack else "",
        )

    async def PullModel(self, request, context):
        cancel = threading.Event()

        def pull(report) -> None:
            last = [0.0]

            def on_progress(name: str, done: int, total: int) -> None:
                now = time.monotonic()
                if now - last[0] >= 0.1 or (total and done >= total):  # at most ten updates a second
                    last[0] = now
                    report(pb.PullProgress(file=name, bytes_done=done, bytes_total=total))

            self.models.store.pull(request.name, on_progress, cancel)  # a cancelled pull's .part file resumes later

        try:
            async for finished, value in self._in_worker(pull, cancel):
                if finished:
                    yield pb.PullModelResponse(model=await self._blocking(self._pack_info, request.name))
                elif value is not None:
                    yield pb.PullModelResponse(progress=value)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await abort_with(context, exc)

    async def ImportModel(self, request, context):
        from pathlib import Path as _Path

        try:
            await self._blocking(
                lambda: self.models.store.import_files(request.name, [_Path(p) for p in request.paths])
            )
            return await self._blocking(self._pack_info, request.name)
        except Exception as exc:
            await abort_with(context, exc)

    async def RemoveModel(self, request, context):
        def remove() -> pb.ModelInfo:
            if request.name in {s.entry.name for s in self.models.states()}:
                self.models.unload(request.name)
            if not self.models.store.remove(request.name):
                raise ModelUnavailable(f"{request.name} is not installed")
            return self._pack_info(request.name)

        try:
            return await self._blocking(remove)
        except Exception as exc:
            await abort_with(context, exc)

    async def BuildEngine(self, request, context):
        from avevents.models.build import build

        try:
            if request.precision not in ("", "fp16", "fp32"):
                raise InvalidRequest(f"precision must be fp16 or fp32, got {request.precision!r}")
            work = partial(
                build, self.models.store, request.name, request.device or "cuda:0", request.precision or "fp16"
            )
            async for finished, value in self._in_worker(work):
                if not finished:
                    if value is not None:
                        yield pb.BuildEngineResponse(progress=value)
                    continue
                yield pb.BuildEngineResponse(
                    result=pb.BuildEngineResult(
                        onnx_path=str(value.onnx), engine_path=str(value.engine or ""), reason=value.reason
                    )
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await abort_with(context, exc)


def list_devices(default_device: str) -> list[pb.Device]:
    """The CPU and every CUDA device torch can see, with memory figures."""
    vm = psutil.virtual_memory()
    devices = [
        pb.Device(
            name="cpu",
            kind="cpu",
            description=f"{platform.processor() or platform.machine()}, {psutil.cpu_count(logical=True)} threads",
            total_memory_bytes=vm.total,
            free_memory_bytes=vm.available,
            is_default=default_device == "cpu",
        )
    ]
    try:
        import torch

        if torch.cuda.is_available():
            for i in range(torch.cuda.device_count()):
                free, total = torch.cuda.mem_get_info(i)
                name = f"cuda:{i}"
                devices.append(
                    pb.Device(
                        name=name,
                        kind="cuda",
                        description=torch.cuda.get_device_name(i),
                        total_memory_bytes=total,
                        free_memory_bytes=free,
                        is_default=default_device == name,
                    )
                )
    except Exception as exc:
        log.warning("CUDA devices could not be listed: %s", exc)
    return devices
