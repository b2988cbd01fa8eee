"""What the product loads is what was installed or exported: pack files are checked by sha256 at load
(the digest of the catalog or of the manifest), cached ONNX exports and TensorRT plans against the digest
recorded when they were written (a modified one is made again), manifest names stay inside their pack
folder, and no pickle anywhere in the repository is loaded with code execution allowed."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from avevents.core.errors import IntegrityError, ModelUnavailable
from avevents.models import files
from avevents.models.engine_cache import EngineCache, ShapeProfile, key_for
from avevents.models.export import digest_path, export_onnx, verified_export
from avevents.models.files import confined, verify_file
from avevents.models.store import ModelStore

from ..media_factory import SHARED, shared_or_skip

ROOT = Path(__file__).resolve().parents[2]
MN04, VISION = "efficientat-mn04-as", "mobilenet-v2-imagenet"


def _flip_last_byte(path: Path) -> None:
    """Change the file's content, keeping its size (what a careful attacker does)."""
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def _local_pack(store: ModelStore, tmp_path: Path, name: str = "mine-1"):
    source = tmp_path / "weights.bin"
    source.write_bytes(b"weights " * 100)
    return store.install_local(name, "1", "test", [source])


# --- pack files at load ---------------------------------------------------------------------------


def test_a_modified_pack_file_is_refused_at_load_naming_it_and_the_fix(tmp_path):
    store = ModelStore(tmp_path / "store")
    pack = _local_pack(store, tmp_path)
    assert pack.file("weights.bin").read_bytes().startswith(b"weights")
    _flip_last_byte(pack.path / "weights.bin")
    with pytest.raises(IntegrityError) as caught:
        store.require("mine-1").file("weights.bin")
    message = str(caught.value)
    assert str(pack.path / "weights.bin") in message and "avevents models remove mine-1" in message
    assert "\n" not in message
    (pack.path / "weights.bin").unlink()
    with pytest.raises(ModelUnavailable, match="missing"):
        pack.file("weights.bin")
    with pytest.raises(ModelUnavailable, match="not a file of"):
        pack.file("../weights.bin")


def test_the_check_is_remembered_by_file_identity_but_a_rewrite_is_noticed(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "SETTLE_NS", 20_000_000)  # files older than 20 ms count as settled
    path = tmp_path / "model.bin"
    path.write_bytes(b"a" * 4096)
    expected = files.sha256_of(path)
    time.sleep(0.05)
    hashed = []
    real = files.sha256_of
    monkeypatch.setattr(files, "sha256_of", lambda p: hashed.append(p) or real(p))
    verify_file(path, expected, "fix")
    verify_file(path, expected, "fix")
    assert len(hashed) == 1  # the second load costs a stat
    stat = path.stat()
    path.write_bytes(b"b" * 4096)  # same size, same inode, and the mtime put back
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(IntegrityError, match="modified"):
        verify_file(path, expected, "fix")
    assert len(hashed) == 2


def test_a_file_rewritten_within_the_clock_tick_is_still_noticed(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"a" * 4096)
    expected = files.sha256_of(path)
    verify_file(path, expected, "fix")
    path.write_bytes(b"b" * 4096)  # at once: file times may not have moved at all
    with pytest.raises(IntegrityError):
        verify_file(path, expected, "fix")


@pytest.fixture
def mirror_store(tmp_path):
    for pack in (MN04, VISION):
        shared_or_skip("models", pack)
    store = ModelStore(tmp_path / "store", SHARED / "models")
    return store


def test_a_modified_tflite_or_checkpoint_is_refused_and_pull_repairs_it(mirror_store):
    from avevents.models.audioset import AudioSetTagger
    from avevents.models.vision import VisionEncoder

    vision = mirror_store.pull(VISION)
    tflite = vision.path / "mobilenet_v2_1.0_224_quant.tflite"
    _flip_last_byte(tflite)
    with pytest.raises(IntegrityError, match=f"avevents models pull {VISION}") as caught:
        VisionEncoder(mirror_store.require(VISION), backend="torch", device="cpu")
    assert str(tflite) in str(caught.value)
    tagger = mirror_store.pull(MN04)
    checkpoint = tagger.path / "mn04_as_mAP_432.pt"
    _flip_last_byte(checkpoint)
    with pytest.raises(IntegrityError, match=f"avevents models pull {MN04}"):
        AudioSetTagger(mirror_store.require(MN04), backend="torch", device="cpu")
    mirror_store.pull(MN04)  # the fix the message gives
    assert mirror_store.require(MN04).file(checkpoint.name) == checkpoint


def test_a_manifest_edited_to_match_a_changed_catalog_file_does_not_pass(tmp_path):
    folder = tmp_path / "store" / VISION
    folder.mkdir(parents=True)
    for name in ("mobilenet_v2_1.0_224_quant.tflite", "imagenet_labels.txt"):
        (folder / name).write_bytes(b"substituted")
    digest = files.sha256_of(folder / "imagenet_labels.txt")
    entries = [{"name": n, "sha256": digest} for n in ("mobilenet_v2_1.0_224_quant.tflite", "imagenet_labels.txt")]
    (folder / "manifest.json").write_text(json.dumps({"name": VISION, "files": entries}))
    with pytest.raises(IntegrityError, match=r"imagenet_labels\.txt"):
        ModelStore(tmp_path / "store").require(VISION).file("imagenet_labels.txt")


# --- cached exports -------------------------------------------------------------------------------


class _Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)


def _exporter(folder: Path, model: torch.nn.Module):
    """A pack's ``export_*_onnx`` in small: the cached file's path, exported when missing."""
    path = folder / "onnx" / "tiny.onnx"
    calls = []

    def make() -> Path:
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            calls.append(1)
            export_onnx(model, torch.zeros(1, 4), path, "x", ["y"], {"x": {0: "b"}, "y": {0: "b"}})
        return path

    return make, calls


def _run_onnx(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]


def test_a_modified_or_unrecorded_export_is_exported_again(tmp_path, caplog):
    torch.manual_seed(0)
    model = _Tiny().eval()
    make, calls = _exporter(tmp_path, model)
    path = verified_export(make)
    assert digest_path(path).read_text().strip() == files.sha256_of(path) and calls == [1]
    assert verified_export(make) == path and calls == [1]  # a sound export is used as it is
    x = np.ones((2, 4), np.float32)
    good = _run_onnx(path, x)
    other, _ = _exporter(tmp_path / "other", _Tiny())  # another network of the same shape: a valid ONNX
    path.write_bytes(other().read_bytes())
    assert not np.allclose(_run_onnx(path, x), good)
    assert verified_export(make) == path and calls == [1, 1]
    assert "modified after it was exported" in caplog.text
    np.testing.assert_allclose(_run_onnx(path, x), good, atol=1e-6)
    digest_path(path).unlink()  # an export from before digests were recorded
    assert verified_export(make) == path and calls == [1, 1, 1] and digest_path(path).is_file()


def test_the_tagger_export_is_checked_at_load(mirror_store):
    from avevents.models.audioset import export_tagger_onnx

    pack = mirror_store.pull(MN04)
    path = export_tagger_onnx(pack)
    recorded = digest_path(path).read_text().strip()
    _flip_last_byte(path)
    assert export_tagger_onnx(pack) == path
    assert files.sha256_of(path) == digest_path(path).read_text().strip()
    mel = np.zeros((1, 1, 128, 200), np.float32)
    import onnxruntime as ort

    logits = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(["logits"], {"mel": mel})[0]
    from avevents.models.efficientat import MN04 as CONFIG
    from avevents.models.efficientat import load_checkpoint

    with torch.no_grad():
        want = load_checkpoint(pack.file("mn04_as_mAP_432.pt"), CONFIG)(torch.from_numpy(mel))[0].numpy()
    np.testing.assert_allclose(logits, want, atol=1e-4)
    assert len(recorded) == 64


def test_a_modified_tensorrt_plan_is_rebuilt(tmp_path, caplog):
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"graph")
    profile = (ShapeProfile("mel", (1, 1, 128, 32), (32, 1, 128, 200), (64, 1, 128, 1000)),)
    key = key_for("mn04", onnx, "NVIDIA H200", "9.0", "10.13.0", "fp16", profile)
    cache = EngineCache(tmp_path / "engines")
    plan = cache.store(key, b"serialized engine")
    assert cache.lookup(key) == plan
    plan.write_bytes(b"serialized evil!!")
    assert cache.lookup(key) is None and not plan.exists() and "modified after it was built" in caplog.text
    plan = cache.store(key, b"serialized engine")
    record = json.loads(plan.with_suffix(".json").read_text())
    del record["plan_sha256"]  # a plan cached before digests were recorded
    plan.with_suffix(".json").write_text(json.dumps(record))
    assert cache.lookup(key) is None


# --- manifest names -------------------------------------------------------------------------------


def _write_manifest(folder: Path, name: str, entries: list[dict], origin: str = "local") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"name": name, "version": "1", "task": "test", "origin": origin, "files": entries}
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("bad", ["../outside.bin", "sub/../../outside.bin", "ABSOLUTE", "link.bin", "..\\outside.bin"])
def test_manifest_names_are_confined_to_their_pack_folder(tmp_path, bad, caplog):
    store = ModelStore(tmp_path / "store")
    outside = tmp_path / "store" / "outside.bin"
    outside.parent.mkdir(parents=True)
    outside.write_bytes(b"secret")
    name = str(outside) if bad == "ABSOLUTE" else bad
    folder = store.pack_dir("evil-1")
    folder.mkdir(parents=True)
    if bad == "link.bin":
        (folder / "link.bin").symlink_to(outside)
    _write_manifest(folder, "evil-1", [{"name": name, "sha256": files.sha256_of(outside)}])
    assert store.installed("evil-1") is None
    assert "outside" in store.problem("evil-1") or ".." in store.problem("evil-1")
    with pytest.raises(ModelUnavailable, match=r"evil-1.* is unavailable") as caught:
        store.require("evil-1")
    assert "\n" not in str(caught.value)
    listed = {spec.name: (spec, pack) for spec, pack in store.list()}  # the list does not crash
    assert listed["evil-1"][1] is None and listed["evil-1"][0].description.startswith("unavailable: ")
    assert "evil-1 is unavailable" in caplog.text


def test_a_catalog_pack_naming_a_file_outside_is_refused(tmp_path):
    store = ModelStore(tmp_path / "store")
    outside = tmp_path / "x.pt"
    outside.write_bytes(b"not the tagger")
    entry = {"name": "../../x.pt", "sha256": files.sha256_of(outside)}
    _write_manifest(store.pack_dir(MN04), MN04, [entry], origin="catalog")
    assert store.installed(MN04) is None and ".." in store.problem(MN04)
    with pytest.raises(ModelUnavailable, match=f"unavailable.*avevents models pull {MN04}"):
        store.require(MN04)
    assert dict((spec.name, pack) for spec, pack in store.list())[MN04] is None


def test_pull_replaces_a_refused_manifest(mirror_store):
    _write_manifest(mirror_store.pack_dir(MN04), MN04, [{"name": "/etc/passwd", "sha256": "0" * 64}], "catalog")
    assert mirror_store.installed(MN04) is None
    mirror_store.pull(MN04)
    assert mirror_store.problem(MN04) is None and mirror_store.require(MN04).file("mn04_as_mAP_432.pt").is_file()


def test_names_inside_the_folder_are_accepted(tmp_path):
    folder = tmp_path / "pack"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "w.bin").write_bytes(b"w")
    (folder / "alias.bin").symlink_to(folder / "sub" / "w.bin")  # a link that stays inside
    assert confined(folder, "sub/w.bin") == folder.resolve() / "sub" / "w.bin"
    assert confined(folder, "alias.bin").name == "alias.bin"
    for bad in ("", ".", "C:\\x.bin", "/x", "a/../../b", "\\\\server\\share\\x"):
        with pytest.raises(ValueError):
            confined(folder, bad)


# --- pickles --------------------------------------------------------------------------------------


def test_no_pickle_in_the_repository_is_loaded_with_code_execution_allowed():
    unsafe = re.compile(
        r"weights_only\s*=\s*False|allow_pickle\s*=\s*True|pickle\.loads?\(|torch\.jit\.load|joblib\.load"
    )
    found = []
    for path in _repository_sources():
        rel = path.relative_to(ROOT)
        text = path.read_text(errors="replace")
        found += [f"{rel}:{text.count(chr(10), 0, m.start()) + 1}" for m in unsafe.finditer(text)]
        for m in re.finditer(r"torch\.load\(([^()]|\([^()]*\))*\)", text):
            if "weights_only=True" not in m.group(0):
                found.append(f"{rel}:{text.count(chr(10), 0, m.start()) + 1} (torch.load without weights_only=True)")
    assert not found, found


def _repository_sources() -> list[Path]:
    """The repository's Python files (not the virtual environment, not this file: it names the patterns)."""
    tops = [p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".") and not p.name.endswith("-info")]
    sources = [*ROOT.glob("*.py"), *(f for top in tops for f in top.rglob("*.py"))]
    return sorted(f for f in sources if f.resolve() != Path(__file__).resolve())


# --- loaders that went around the checks ----------------------------------------------------------


def _export_matches_its_record(path: Path) -> bool:
    return files.sha256_of(path) == digest_path(path).read_text().strip()


def test_a_modified_vision_export_is_exported_again_when_the_encoder_loads(mirror_store):
    from avevents.models.vision import VisionEncoder, export_vision_onnx

    frames = np.random.default_rng(0).integers(0, 256, (2, 224, 224, 3), dtype=np.uint8)
    encoder = VisionEncoder(mirror_store.pull(VISION), backend="onnxruntime", device="cpu")
    want = encoder.encode(frames)
    encoder.close()
    path = export_vision_onnx(mirror_store.require(VISION))  # the cached file the encoder ran
    _flip_last_byte(path)
    encoder = VisionEncoder(mirror_store.require(VISION), backend="onnxruntime", device="cpu")
    assert encoder.backend == "onnxruntime" and _export_matches_its_record(path)
    for got, expected in zip(encoder.encode(frames), want, strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-5)
    encoder.close()


def _fusion_pack(tmp_path: Path, name: str = "fused-1"):
    from avevents.models.fusion import FusionConfig, ModalityAttentionFusion
    from avevents.models.fusion_pack import install_fusion_pack

    torch.manual_seed(0)
    config = FusionConfig(("a", "b"), MN04, VISION, audio_dim=8, video_dim=6, hidden=4)
    store = ModelStore(tmp_path / "store")
    return store, install_fusion_pack(store, name, ModalityAttentionFusion(config))


def test_a_modified_fusion_export_is_exported_again_when_the_model_loads(tmp_path):
    from avevents.models.fusion_pack import FusionModel, export_fusion_onnx

    store, pack = _fusion_pack(tmp_path)
    rng = np.random.default_rng(0)
    feeds = (rng.normal(size=(5, 8)), rng.normal(size=(5, 6)), np.ones((5, 2)))
    want = FusionModel(pack, backend="onnxruntime").predict(*feeds)
    path = export_fusion_onnx(pack)
    _flip_last_byte(path)
    model = FusionModel(store.require("fused-1"), backend="onnxruntime")
    assert model.backend == "onnxruntime" and _export_matches_its_record(path)
    np.testing.assert_allclose(model.predict(*feeds)["fused"], want["fused"], atol=1e-6)


def test_modified_fusion_weights_are_refused_as_an_integrity_error_checked_once(tmp_path, monkeypatch):
    from avevents.models.fusion import load_fusion

    monkeypatch.setattr(files, "SETTLE_NS", 20_000_000)  # files older than 20 ms count as settled
    store, pack = _fusion_pack(tmp_path)
    weights, sha = pack.path / "fusion.pt", pack.spec.file("fusion.pt").sha256
    time.sleep(0.05)
    hashed = []
    real = files.sha256_of
    monkeypatch.setattr(files, "sha256_of", lambda p: hashed.append(p) or real(p))
    load_fusion(pack.path, sha)
    load_fusion(pack.path, sha)
    assert len(hashed) == 1  # the digest is remembered: the second load costs a stat
    _flip_last_byte(weights)
    with pytest.raises(IntegrityError, match="avevents models remove fused-1") as caught:
        load_fusion(store.require("fused-1").path, sha)
    assert str(weights) in str(caught.value)


def test_a_modified_fp16_copy_for_tensorrt_is_converted_again(tmp_path, monkeypatch):
    """TensorRT is not needed: the fp16 copy is cached in pure Python. The converter (onnxconverter-common,
    not installed here) is replaced by one that keeps the graph as it is and counts its calls."""
    import sys
    import types

    from avevents.models.runners.tensorrt_runner import _fp16_onnx

    conversions = []
    converter = types.ModuleType("onnxconverter_common")
    converter.float16 = types.SimpleNamespace(
        convert_float_to_float16=lambda model, keep_io_types: conversions.append(1) or model
    )
    monkeypatch.setitem(sys.modules, "onnxconverter_common", converter)
    make, _ = _exporter(tmp_path, _Tiny())
    source = verified_export(make)
    fp16 = _fp16_onnx(source)
    assert fp16.name == "tiny.fp16.onnx" and _export_matches_its_record(fp16) and conversions == [1]
    assert _fp16_onnx(source) == fp16 and conversions == [1]  # a sound copy is used as it is
    _flip_last_byte(fp16)
    assert _fp16_onnx(source) == fp16 and conversions == [1, 1] and _export_matches_its_record(fp16)
    digest_path(fp16).unlink()  # a copy cached before digests were recorded
    assert _fp16_onnx(source) == fp16 and conversions == [1, 1, 1] and _export_matches_its_record(fp16)


def test_wav2vec2_files_are_checked_and_only_the_listed_weights_load(tmp_path):
    transformers = pytest.importorskip("transformers", reason="the Wav2Vec2 encoder needs the wav2vec2 extra")
    from avevents.models.wav2vec2 import Wav2Vec2Encoder

    def tiny(folder: Path, seed: int) -> Path:
        config = transformers.Wav2Vec2Config(
            hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, conv_dim=(32,) * 7
        )
        torch.manual_seed(seed)
        model = transformers.Wav2Vec2Model(config)
        model.save_pretrained(folder)  # config.json and model.safetensors
        torch.save(model.state_dict(), folder / "pytorch_model.bin")  # the file the Hugging Face repo has
        return folder

    good = tiny(tmp_path / "good", 0)
    store = ModelStore(tmp_path / "store")
    pack = store.import_files("wav2vec2-base", [good / "config.json", good / "pytorch_model.bin"])
    samples = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    want = Wav2Vec2Encoder(pack).embed(samples)
    # Weights no manifest lists, dropped into the pack folder, are not what loads.
    (pack.path / "model.safetensors").write_bytes((tiny(tmp_path / "other", 1) / "model.safetensors").read_bytes())
    np.testing.assert_allclose(Wav2Vec2Encoder(store.require("wav2vec2-base")).embed(samples), want, atol=1e-6)
    for name in ("pytorch_model.bin", "config.json"):
        target = pack.path / name
        original = target.read_bytes()
        _flip_last_byte(target)
        with pytest.raises(IntegrityError, match="avevents models pull wav2vec2-base") as caught:
            Wav2Vec2Encoder(store.require("wav2vec2-base"))
        assert str(target) in str(caught.value)
        target.write_bytes(original)


def test_models_list_says_why_a_refused_pack_is_unavailable(tmp_path, monkeypatch, capsys):
    from avevents.cli.store_commands import print_store

    store = ModelStore(tmp_path / "store")
    _write_manifest(store.pack_dir(MN04), MN04, [{"name": "../../x.pt", "sha256": "0" * 64}], origin="catalog")
    _write_manifest(store.pack_dir("evil-1"), "evil-1", [{"name": "/etc/passwd", "sha256": "0" * 64}])
    print_store(store)
    out = capsys.readouterr().out.splitlines()
    lines = {line.split()[0]: line for line in out if line[2:3].strip()}  # a pack's "  NAME ..." line
    assert "unavailable: its manifest is refused" in lines[MN04] and f"avevents models pull {MN04}" in lines[MN04]
    assert "unavailable: its manifest is refused" in lines["evil-1"] and "models remove evil-1" in lines["evil-1"]
    assert "not installed" not in lines[MN04] + lines["evil-1"] and "not installed" in lines[VISION]
