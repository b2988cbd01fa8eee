"""The model store: pulls from the mirror and over real HTTP (resume, checksum), offline import, removal."""

from __future__ import annotations

import http.server
import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import pytest

from avevents.core.errors import ModelUnavailable, UnknownModel
from avevents.models import catalog
from avevents.models.store import DownloadFailed, ModelStore

from ..media_factory import SHARED, shared_or_skip

MN04 = "efficientat-mn04-as"


@pytest.fixture
def mirror():
    shared_or_skip("models", MN04, "mn04_as_mAP_432.pt")
    return SHARED / "models"


def test_pull_from_mirror_installs_with_manifest_and_progress(tmp_path, mirror):
    store = ModelStore(tmp_path / "store", mirror)
    assert store.installed(MN04) is None
    seen = []
    pack = store.pull(MN04, lambda name, done, total: seen.append((name, done, total)))
    manifest = json.loads((pack.path / "manifest.json").read_text())
    assert {f["name"] for f in manifest["files"]} == {"mn04_as_mAP_432.pt", "class_labels_indices.csv"}
    assert all(f["sha256"] for f in manifest["files"]) and manifest["input"]["sample_rate"] == 32000
    assert seen[-1][1] == seen[-1][2] and any(name == "mn04_as_mAP_432.pt" for name, _, _ in seen)
    assert store.installed(MN04) is not None
    assert store.remove(MN04) and store.installed(MN04) is None and not pack.path.exists()


def test_corrupt_mirror_file_is_rejected_and_nothing_loads(tmp_path, mirror):
    bad_mirror = tmp_path / "mirror" / MN04
    bad_mirror.mkdir(parents=True)
    data = (mirror / MN04 / "mn04_as_mAP_432.pt").read_bytes()
    (bad_mirror / "mn04_as_mAP_432.pt").write_bytes(data[:-10] + b"0123456789")
    store = ModelStore(tmp_path / "store", tmp_path / "mirror")
    with pytest.raises(DownloadFailed, match="sha256"):
        store.pull(MN04)
    assert store.installed(MN04) is None
    assert not list((tmp_path / "store" / MN04).glob("*.part"))
    with pytest.raises(ModelUnavailable, match="models pull"):
        store.require(MN04)


def test_import_offline_file_and_reject_a_wrong_one(tmp_path, mirror):
    store = ModelStore(tmp_path / "store", mirror)
    pack = store.import_files(MN04, [mirror / MN04 / "mn04_as_mAP_432.pt"])
    assert pack.file("mn04_as_mAP_432.pt").is_file() and pack.file("class_labels_indices.csv").is_file()
    wrong = tmp_path / "wrong.pt"
    wrong.write_bytes(b"x" * 100)
    with pytest.raises(DownloadFailed, match="none of the files"):
        store.import_files(MN04, [wrong])


def test_unknown_pack_names_close_matches(tmp_path):
    with pytest.raises(UnknownModel, match="efficientat-mn04-as"):
        ModelStore(tmp_path).pull("efficientat-mn04")


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves one file with Range support; can drop the connection part-way on the first request."""

    payload = b""
    cut_after: int | None = None
    ranges: ClassVar[list[str]] = []

    def do_GET(self):
        start = 0
        header = self.headers.get("Range")
        type(self).ranges.append(header or "")
        if header:
            start = int(header.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(self.payload) - 1}/{len(self.payload)}")
        else:
            self.send_response(200)
        body = self.payload[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.cut_after is not None and not header:
            self.wfile.write(body[: self.cut_after])
            self.wfile.flush()
            self.connection.shutdown(2)  # the network drops mid-file
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_http_pull_resumes_after_a_dropped_connection(tmp_path, mirror, monkeypatch):
    data = (mirror / MN04 / "mn04_as_mAP_432.pt").read_bytes()
    _RangeHandler.payload, _RangeHandler.cut_after, _RangeHandler.ranges = data, len(data) // 3, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/mn04_as_mAP_432.pt"
        spec = catalog.PACKS[MN04]
        files = (replace(spec.files[0], url=url), spec.files[1])
        monkeypatch.setitem(catalog.PACKS, MN04, replace(spec, files=files))
        empty_mirror = tmp_path / "mirror"
        (empty_mirror / MN04).mkdir(parents=True)
        (empty_mirror / MN04 / "class_labels_indices.csv").write_bytes(
            (mirror / MN04 / "class_labels_indices.csv").read_bytes()
        )
        store = ModelStore(tmp_path / "store", empty_mirror)
        with pytest.raises(DownloadFailed):
            store.pull(MN04)
        part = tmp_path / "store" / MN04 / "mn04_as_mAP_432.pt.part"
        assert store.installed(MN04) is None and 0 < part.stat().st_size < len(data)
        pack = store.pull(MN04)  # resumes
        assert _RangeHandler.ranges[-1] == f"bytes={len(data) // 3}-"
        assert pack.file("mn04_as_mAP_432.pt").read_bytes() == data and not part.exists()
    finally:
        server.shutdown()


def test_cli_models_pull_list_remove(tmp_path, mirror):
    import os
    import subprocess
    import sys

    env = dict(
        os.environ,
        AVEVENTS_MODEL_STORE=str(tmp_path / "store"),
        AVEVENTS_MODEL_MIRROR=str(mirror),
        AVEVENTS_RUNTIME_DIR=str(tmp_path / "run"),
        AVEVENTS_CONFIG_DIR=str(tmp_path / "cfg"),
    )

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "avevents.cli.main", "models", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    pulled = run("pull", MN04)
    assert pulled.returncode == 0, pulled.stderr
    listing = run("list").stdout
    assert f"{MN04} 0.0.1" in listing and "installed" in listing
    assert run("remove", MN04).returncode == 0
    assert "not installed" in run("list").stdout
    unknown = run("pull", "nope")
    assert unknown.returncode != 0 and "unknown model pack" in unknown.stderr
    assert Path(tmp_path / "store").exists()
