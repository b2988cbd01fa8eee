"""The per-user model store: one folder per pack, its files and a manifest written last.

A pack is installed exactly when its ``manifest.json`` exists, and the manifest is written (atomically)
only after every file is present with the right sha256: a killed or failed pull never leaves a pack that
loads. Downloads go to ``NAME.part`` and resume with an HTTP Range request. ``AVEVENTS_MODEL_MIRROR``
names a local folder laid out like the store (``<pack>/<file>``) that is used instead of the network:
offline machines and the tests point it at ``../shared/models``.

Nothing in the store is trusted just because it is there: every name a manifest gives must stay inside
its pack folder (no absolute path, no ``..``, no symlink out), else the pack is refused as unavailable
with the reason; and ``InstalledPack.file`` checks a file's sha256 against the catalog's published
digest (or the one recorded at install) each time a loader asks for it (see ``files.file_digest`` for
what that costs).
"""

from __future__ import annotations

import http.client
import json
import logging
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from avevents.core.errors import Cancelled, DownloadFailed, ModelUnavailable, UnknownModel
from avevents.core.paths import user_dir
from avevents.core.settings import Settings, StoreSettings

from .catalog import PACKS, PackFile, PackSpec
from .files import confined, sha256_of, verify_file

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
LOCAL = "local"  # manifest "origin" of packs made on this machine
CHUNK = 1 << 16

# (file name, bytes done, bytes total or 0 when unknown)
ProgressFn = Callable[[str, int, int], None]


BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"  # small public files shipped with avevents


def bundled_file(f: PackFile) -> Path | None:
    """avevents' own copy of a pack file (the AudioSet class list, see bundled/README.md), or None. Only a
    file with a published checksum is taken from here, and the copy is checked against it as it installs."""
    path = BUNDLED_DIR / f.name
    return path if f.sha256 is not None and path.is_file() else None


def default_store_dir() -> Path:
    return user_dir("data", "models")


@dataclass
class InstalledPack:
    spec: PackSpec
    path: Path
    manifest: dict

    def file(self, name: str) -> Path:
        """The pack's file ``name``, checked against its recorded sha256 before a loader opens it.

        :param name: a file of the pack (as its manifest names it).
        :returns: the file's path inside the pack folder.
        :raises ModelUnavailable: not a file of this pack, outside its folder, or missing.
        :raises IntegrityError: the file was modified after it was installed.
        """
        entry = next((f for f in self.manifest.get("files", []) if f.get("name") == name), None)
        if entry is None:
            raise ModelUnavailable(f"{name!r} is not a file of model pack {self.spec.name!r}")
        path = _confined_file(self.path, name, self.spec.name)
        return verify_file(path, self._recorded_sha256(entry), self.repair_hint())

    def _recorded_sha256(self, entry: dict) -> str:
        """The digest a file must have: the catalog's published one where there is one (a manifest edited
        to match a changed file does not pass), else the one recorded at install."""
        published = next((f.sha256 for f in self.spec.files if f.name == entry["name"] and f.sha256), None)
        return published or entry["sha256"]

    def repair_hint(self) -> str:
        """What the user runs to get good files back (the tail of an integrity error)."""
        name = self.spec.name
        if self.manifest.get("origin") == LOCAL:
            return f"retrain it (`avevents train ... --name {name}`) or delete it with `avevents models remove {name}`"
        return f"run `avevents models pull {name}` to fetch it again (offline: `avevents models import {name} FILE`)"


def _confined_file(folder: Path, name: str, pack: str) -> Path:
    """``folder / name``, refused as ModelUnavailable when the name leads outside the pack folder."""
    try:
        confined(folder, name)
    except ValueError as exc:
        raise ModelUnavailable(f"model pack {pack!r} is refused: {exc}") from None
    return folder / name


def manifest_problem(folder: Path, manifest: dict) -> str | None:
    """Why a manifest cannot be used (malformed, or a name outside ``folder``), or None when it is sound.

    :param folder: the pack folder the manifest lies in.
    :param manifest: the parsed ``manifest.json``.
    """
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list) or not files:
        return "its manifest lists no files"
    for entry in files:
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            return f"its manifest has a malformed file entry {entry!r}"
        try:
            confined(folder, entry.get("name"))
        except ValueError as exc:
            return f"its manifest is refused: {exc}"
    return None


def _spec(name: str, local: list[str] | None = None) -> PackSpec:
    if name not in PACKS:
        import difflib

        known = [*PACKS, *(local or [])]
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownModel(f"unknown model pack {name!r}{hint} (known: {', '.join(known)})")
    return PACKS[name]


def _local_spec(manifest: dict, name: str | None = None) -> PackSpec:
    """The spec of a pack made here, read back from its manifest (``name``: its folder's name)."""
    return PackSpec(
        name=name or manifest["name"],
        version=manifest.get("version", ""),
        task=manifest.get("task", ""),
        description=manifest.get("description", ""),
        licence=manifest.get("licence", ""),
        source=manifest.get("source", "local"),
        files=tuple(PackFile(f["name"], "", f["sha256"], f.get("size")) for f in manifest.get("files", [])),
        input_spec=manifest.get("input", {}),
    )


def _write_manifest(path: Path, manifest: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=2))
    tmp.replace(path)


class ModelStore:
    def __init__(self, root: Path | None = None, mirror: Path | None = None, *, environment: bool = True):
        """:param root: the store folder; None: the settings' (``AVEVENTS_MODEL_STORE``), else the per-user one.
        :param mirror: a folder to install from instead of downloading; None: the settings', if any.
        :param environment: False: None means the per-user folder and no mirror, the environment unread
            (``configured``: what an entry point holding Settings uses)."""
        if environment and (root is None or mirror is None):
            # A bare ModelStore() in a command or a script means "the user's store, as the environment says".
            configured = Settings.from_environment().store
            root = root if root is not None else configured.root
            mirror = mirror if mirror is not None else configured.mirror
        self.root = Path(root) if root else default_store_dir()
        self.mirror = Path(mirror) if mirror else None

    @classmethod
    def configured(cls, settings: StoreSettings) -> ModelStore:
        """The store ``settings`` describe."""
        return cls(settings.root, settings.mirror, environment=False)

    # --- what is here -------------------------------------------------------------------------
    def pack_dir(self, name: str) -> Path:
        return self.root / name

    def installed(self, name: str) -> InstalledPack | None:
        """The installed pack ``name``, or None when it is not installed or its manifest is refused
        (``problem`` says why; the warning is logged once per process).

        :raises UnknownModel: neither a catalog pack nor a pack made here.
        """
        manifest = self._manifest(name)
        local = name not in PACKS and manifest is not None and manifest.get("origin") == LOCAL
        spec = None if local else _spec(name, self.local_names())
        if manifest is None:
            return None
        problem = manifest_problem(self.pack_dir(name), manifest)
        if problem is not None:
            _warn_once(name, problem)
            return None
        return InstalledPack(spec or _local_spec(manifest, name), self.pack_dir(name), manifest)

    def problem(self, name: str) -> str | None:
        """Why pack ``name`` is present on disk but refused (its manifest), or None."""
        manifest = self._manifest(name)
        return None if manifest is None else manifest_problem(self.pack_dir(name), manifest)

    def _manifest(self, name: str) -> dict | None:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            return None
        try:
            manifest = json.loads((self.pack_dir(name) / MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        return manifest if isinstance(manifest, dict) else None

    def local_names(self) -> list[str]:
        """Packs made on this machine (trained fusion models), not from the catalog."""
        if not self.root.is_dir():
            return []
        return sorted(
            d.name
            for d in self.root.iterdir()
            if d.name not in PACKS and (self._manifest(d.name) or {}).get("origin") == LOCAL
        )

    def require(self, name: str) -> InstalledPack:
        """The installed pack ``name`` (what loaders use).

        :raises ModelUnavailable: not installed, or refused (the reason and the fix in the message).
        """
        pack = self.installed(name)
        if pack is None and (problem := self.problem(name)) is not None:
            fix = (
                f"run `avevents models pull {name}` to install it afresh"
                if name in PACKS
                else f"delete it with `avevents models remove {name}` and train it again"
            )
            raise ModelUnavailable(f"model pack {name!r} is unavailable: {problem}; {fix}")
        if pack is None:
            raise ModelUnavailable(
                f"model pack {name!r} is not installed: run `avevents models pull {name}` "
                f"(or `avevents models import {name} FILE` offline)"
            )
        return pack

    def list(self) -> list[tuple[PackSpec, InstalledPack | None]]:
        """Every catalog pack and every pack made here, each with its installed state (None: not
        installed, or refused: then ``problem`` gives the reason, and a local pack's spec says it)."""
        catalog = [(spec, self.installed(name)) for name, spec in PACKS.items()]
        local = []
        for name in self.local_names():
            pack = self.installed(name)
            local.append((pack.spec, pack) if pack is not None else (self._refused_spec(name), None))
        return catalog + local

    def _refused_spec(self, name: str) -> PackSpec:
        """A stand-in spec for a local pack whose manifest is refused: its name and why."""
        return PackSpec(name, "", "", f"unavailable: {self.problem(name)}", "", "local", ())

    def install_local(
        self, name: str, version: str, task: str, files: list[Path], extra: dict | None = None, description: str = ""
    ) -> InstalledPack:
        """Install files made here (a trained model) as pack ``name``, replacing an older one of that name.
        ``extra`` goes into the manifest (a fusion pack's configuration, say). Manifest written last."""
        if name in PACKS:
            raise UnknownModel(f"{name!r} is a catalog pack; choose another name for a local pack")
        if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
            raise UnknownModel(f"pack name {name!r}: use letters, digits, '-', '_' and '.'")
        folder = self.pack_dir(name)
        (folder / MANIFEST).unlink(missing_ok=True)  # an older pack of this name stops loading first
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for path in map(Path, files):
            target = _confined_file(folder, path.name, name)
            if path.resolve() != target.resolve():
                tmp = folder / f".{path.name}.import"
                shutil.copyfile(path, tmp)
                tmp.replace(target)
            entries.append({"name": path.name, "url": "", "sha256": sha256_of(target), "size": target.stat().st_size})
        manifest = {
            "name": name,
            "version": version,
            "task": task,
            "description": description,
            "origin": LOCAL,
            "licence": "made on this machine",
            "source": "local",
            "input": {},
            "files": entries,
            "installed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **(extra or {}),
        }
        _write_manifest(folder / MANIFEST, manifest)
        return InstalledPack(_local_spec(manifest), folder, manifest)

    # --- getting packs ------------------------------------------------------------------------
    def pull(self, name: str, progress: ProgressFn | None = None, cancel=None) -> InstalledPack:
        """Fetch every file of the pack (mirror first when set), verify, then write the manifest."""
        if name in self.local_names():
            raise UnknownModel(f"{name!r} was made on this machine (trained); it has no home to pull from")
        spec = _spec(name)
        folder = self.pack_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        hashes = {}
        for f in spec.files:
            target = folder / f.name
            if target.is_file() and f.sha256 and sha256_of(target) == f.sha256:
                hashes[f.name] = f.sha256
                continue
            hashes[f.name] = self._fetch(spec, f, target, progress, cancel)
        return self._finish(spec, hashes)

    def import_files(self, name: str, files: list[Path], progress: ProgressFn | None = None) -> InstalledPack:
        """Install the pack from files the user brings (offline). Each must match a file of the pack by
        its checksum; files not given are taken from the mirror (or the network) as ``pull`` would."""
        spec = _spec(name)
        folder = self.pack_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        given = {}
        for path in files:
            path = Path(path)
            if not path.is_file():
                raise ModelUnavailable(f"{path}: no such file")
            digest = sha256_of(path)
            match = next((f for f in spec.files if f.sha256 == digest), None)
            if match is None:
                unverifiable = [f for f in spec.files if f.sha256 is None and f.name == path.name]
                if not unverifiable:
                    raise DownloadFailed(
                        f"{path} (sha256 {digest}) is none of the files of {name}: "
                        + ", ".join(f"{f.name} {f.sha256 or 'unpublished'}" for f in spec.files)
                    )
                match = unverifiable[0]
                log.warning("%s: no published checksum for %s; recording %s", name, match.name, digest)
            tmp = folder / f".{match.name}.import"
            shutil.copyfile(path, tmp)
            tmp.replace(folder / match.name)
            given[match.name] = digest
        for f in spec.files:
            if f.name not in given:
                given[f.name] = self._fetch(spec, f, folder / f.name, progress, None)
        return self._finish(spec, given)

    def remove(self, name: str) -> bool:
        if name not in self.local_names():
            _spec(name)
        folder = self.pack_dir(name)
        if not folder.exists():
            return False
        # The manifest goes first: a half-removed pack is never seen as installed.
        (folder / MANIFEST).unlink(missing_ok=True)
        shutil.rmtree(folder)
        return True

    # --- internals ----------------------------------------------------------------------------
    def _finish(self, spec: PackSpec, hashes: dict[str, str]) -> InstalledPack:
        manifest = {
            "name": spec.name,
            "version": spec.version,
            "task": spec.task,
            "licence": spec.licence,
            "source": spec.source,
            "input": spec.input_spec,
            "files": [
                {
                    "name": f.name,
                    "url": f.url,
                    "sha256": hashes[f.name],
                    "size": (self.pack_dir(spec.name) / f.name).stat().st_size,
                }
                for f in spec.files
            ],
            "installed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        _write_manifest(self.pack_dir(spec.name) / MANIFEST, manifest)
        return InstalledPack(spec, self.pack_dir(spec.name), manifest)

    def _fetch(self, spec: PackSpec, f: PackFile, target: Path, progress, cancel) -> str:
        part = target.with_name(target.name + ".part")
        mirrored = self.mirror / spec.name / f.name if self.mirror else None
        shipped = bundled_file(f)
        if shipped is not None:  # shipped with avevents (checked below like any other copy)
            self._copy(shipped, part, f.name, progress, cancel)
        elif mirrored is not None and mirrored.exists() and not mirrored.is_dir():  # a file, or a pipe
            self._copy(mirrored, part, f.name, progress, cancel)
        else:
            self._download(f.url, part, f.name, progress, cancel)
        digest = sha256_of(part)
        if f.sha256 is not None and digest != f.sha256:
            part.unlink(missing_ok=True)
            raise DownloadFailed(f"{spec.name}: {f.name} has sha256 {digest}, expected {f.sha256}; removed it")
        if f.sha256 is None:
            log.warning("%s: %s has no published checksum; recorded %s", spec.name, f.name, digest)
        part.replace(target)
        return digest

    @staticmethod
    def _copy(source: Path, part: Path, name: str, progress, cancel) -> None:
        with open(source, "rb") as src, open(part, "wb") as dst:
            _pump(src, dst, name, 0, source.stat().st_size, progress, cancel)

    @staticmethod
    def _download(url: str, part: Path, name: str, progress, cancel) -> None:
        """GET ``url`` into ``part``, resuming from its current size with a Range request."""
        have = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(url, headers={"User-Agent": "avevents"})
        if have:
            request.add_header("Range", f"bytes={have}-")
        try:
            response = urllib.request.urlopen(request, timeout=60)  # URLs come from the catalog
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:  # already complete
                return
            raise DownloadFailed(f"{name}: {url} answered {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise DownloadFailed(f"{name}: cannot reach {url} ({getattr(exc, 'reason', exc)})") from None
        with response:
            resumed = have and response.status == 206
            length = int(response.headers.get("Content-Length") or 0)
            total = (have + length) if resumed else length
            done = have if resumed else 0
            with open(part, "ab" if resumed else "wb") as fh:
                try:
                    done = _pump(response, fh, name, done, total, progress, cancel)
                except (http.client.HTTPException, OSError) as exc:
                    raise DownloadFailed(
                        f"{name}: the download broke off at {part.stat().st_size} bytes ({exc}); "
                        "run pull again to resume"
                    ) from None
            if total and done < total:
                raise DownloadFailed(
                    f"{name}: the connection closed at {done} of {total} bytes; run pull again to resume"
                )


_WARNED: set[tuple[str, str]] = set()


def _warn_once(name: str, problem: str) -> None:
    """Log a refused pack once per process (``installed`` is asked many times per request)."""
    if (name, problem) not in _WARNED:
        _WARNED.add((name, problem))
        log.warning("model pack %s is unavailable: %s", name, problem)


def _pump(src, dst, name: str, done: int, total: int, progress: ProgressFn | None, cancel) -> int:
    """Copy ``src`` to ``dst`` in blocks, reporting progress and honouring ``cancel``; bytes done."""
    while block := src.read(CHUNK):
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"pull of {name} cancelled (run pull again to resume)")
        dst.write(block)
        done += len(block)
        if progress:
            progress(name, done, total)
    return done
