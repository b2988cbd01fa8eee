"""The result cache: a re-run with other thresholds, labels or a sub-range skips decoding and inference
and gives the events a fresh analysis would; a changed file, another pack version or --no-cache analyse
again; entries are evicted least-recently-used past the limit, a damaged one is dropped."""

from __future__ import annotations

import logging
import os
import shutil

import numpy as np
import pytest

from avevents.cli.main import main as cli
from avevents.core.results import GridTrack, LabelOptions
from avevents.core.settings import CacheSettings
from avevents.engine import pipeline, result_cache
from avevents.engine.postprocess import ScoreTrack
from avevents.engine.result_cache import CachedAnalysis, ResultCache


@pytest.fixture
def cache_on(tmp_path, monkeypatch, models):
    # The session's models carry the settings the pipeline reads; ResultCache() (no arguments) reads the
    # environment, so both are pointed at the test's folder.
    monkeypatch.setattr(models, "settings", models.settings.with_cache(enabled=True, root=tmp_path / "cache"))
    monkeypatch.setenv("AVEVENTS_CACHE", "on")
    monkeypatch.setenv("AVEVENTS_CACHE_DIR", str(tmp_path / "cache"))
    runs = []
    real = pipeline.run_detectors

    def counting(info, detectors, *args, **kwargs):
        runs.append(sorted(d.spec.name for d in detectors))
        return real(info, detectors, *args, **kwargs)

    monkeypatch.setattr(pipeline, "run_detectors", counting)
    return runs


def _events(result):
    return [(e.label, e.start_seconds, e.end_seconds, round(e.confidence, 6)) for e in result.events]


def test_rerun_with_other_thresholds_labels_and_range_uses_the_cache(cache_on, run_detect, speech_clip, tmp_path):
    clip = tmp_path / "talk.mp4"
    shutil.copy(speech_clip.path, clip)
    first = run_detect(clip, labels=("Speech", "Silence"))
    assert cache_on == [["silence", "speech"]] and len(ResultCache().entries()) == 2
    again = run_detect(clip, labels=("Speech", "Silence"))
    assert cache_on == [["silence", "speech"]]  # nothing decoded the second time
    assert _events(again) == _events(first) and again.grid == first.grid and again.models == first.models
    stricter = run_detect(clip, labels=("Speech",), defaults=LabelOptions(min_event_seconds=2.5))
    assert len(cache_on) == 1 and all(e.duration_seconds >= 2.5 for e in stricter.events)
    assert {e.label for e in stricter.events} == {"Speech"}
    part = run_detect(clip, labels=("Speech",), source_range=(5.0, 15.0))
    assert len(cache_on) == 1 and all(e.start_seconds >= 5.0 and e.end_seconds <= 15.0 for e in part.events)
    fresh = run_detect(clip, labels=("Speech",), source_range=(5.0, 15.0), use_cache=False)
    assert len(cache_on) == 2 and [e.label for e in fresh.events] == [e.label for e in part.events]
    # Only what was not analysed yet runs: cuts are new, speech comes from the cache.
    run_detect(clip, labels=("Speech", "Scene cut"))
    assert cache_on[-1] == ["cuts"]
    # The file changes: its identity changes, everything runs again.
    with open(clip, "ab") as fh:
        fh.write(b"\0" * 16)
    os.utime(clip, ns=(1, 1))
    run_detect(clip, labels=("Speech",))
    assert cache_on[-1] == ["speech"]


def test_audioset_labels_asked_later_come_from_the_first_analysis(cache_on, av_store, speech_clip):
    from avevents.core.results import DetectOptions
    from avevents.engine.residency import ResidentModels

    models = ResidentModels()  # after av_store and cache_on: their store, the cache on in the test's folder

    def run_detect(path, **options):
        return pipeline.detect(str(path), DetectOptions(**options), models)

    first = run_detect(speech_clip.path, pack="audioset", labels=("Music",))
    assert len(cache_on) == 1
    later = run_detect(speech_clip.path, pack="audioset", labels=("Music", "Dog", "Laughter"))
    assert len(cache_on) == 1  # every one of the 527 was kept
    assert [e for e in _events(later) if e[0] == "Music"] == _events(first)


def test_eviction_damage_and_the_cli(cache_on, tmp_path, capsys, run_detect, speech_clip):
    run_detect(speech_clip.path, pack="builtin", labels=("Speech", "Silence", "Transient"))
    cache = ResultCache()
    entries = sorted(cache.entries(), key=lambda p: p.stat().st_mtime)
    assert len(entries) == 3
    os.utime(entries[0], (1, 1))  # the least recently used
    small = ResultCache(max_bytes=cache.size() - 1)
    assert small.evict() == 1 and not entries[0].exists()
    entries[1].write_bytes(b"not an npz")
    run_detect(speech_clip.path, pack="builtin", labels=("Speech", "Silence", "Transient"))
    assert len(cache_on) == 2 and len(cache_on[-1]) == 2  # the evicted and the damaged ran again; one hit
    assert cli(["cache", "info"]) == 0
    assert "3 entries" in capsys.readouterr().out
    assert cli(["cache", "clear"]) == 0 and "removed 3" in capsys.readouterr().out
    assert ResultCache().entries() == []


def _cache_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == result_cache.__name__ and r.levelno == logging.WARNING]


@pytest.mark.parametrize("blocker", ["file above the folder", "files where its subfolders go"])
def test_a_cache_that_cannot_be_written_never_fails_an_analysis(blocker, cache_on, run_detect, speech_clip, tmp_path,
                                                                monkeypatch, caplog, models):  # fmt: skip
    if blocker == "file above the folder":  # mkdir fails even for root, unlike chmod
        (tmp_path / "plain-file").write_text("not a folder")
        root = tmp_path / "plain-file" / "cache"
    else:
        root = tmp_path / "blocked"
        root.mkdir()
        for prefix in range(256):
            (root / f"{prefix:02x}").write_text("in the way")
    monkeypatch.setattr(models, "settings", models.settings.with_cache(root=root))
    monkeypatch.setenv("AVEVENTS_CACHE_DIR", str(root))
    plain = run_detect(speech_clip.path, labels=("Speech", "Silence"), use_cache=False)
    caplog.set_level(logging.WARNING, logger=result_cache.__name__)
    first = run_detect(speech_clip.path, labels=("Speech", "Silence"))
    assert _events(first) == _events(plain) and first.grid == plain.grid
    warnings = _cache_warnings(caplog)
    assert any("cannot be written" in w for w in warnings) and len(warnings) <= 2  # a write, maybe a read
    caplog.clear()
    again = run_detect(speech_clip.path, labels=("Speech", "Silence"))
    assert _events(again) == _events(plain) and len(cache_on) == 3  # every analysis ran
    assert _cache_warnings(caplog) == []  # once per folder, not on every analysis
    assert ResultCache().entries() == [] and ResultCache().size() == 0 and ResultCache().clear() == 0


def test_truncated_and_garbage_entries_are_misses(cache_on, run_detect, speech_clip, caplog):
    labels = ("Speech", "Silence", "Transient")
    first = run_detect(speech_clip.path, pack="builtin", labels=labels)
    truncated, empty, bad_meta = sorted(ResultCache().entries())
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    empty.write_bytes(b"")
    with open(bad_meta, "wb") as fh:  # a valid npz whose metadata is not this format's
        np.savez(fh, meta=np.frombuffer(b'{"outputs": [{"kind": "track"}]}', dtype=np.uint8))
    caplog.set_level(logging.WARNING, logger=result_cache.__name__)
    again = run_detect(speech_clip.path, pack="builtin", labels=labels)
    assert _events(again) == _events(first)
    assert len(cache_on) == 2 and len(cache_on[-1]) == 3  # all three analysed again
    assert any("unreadable" in w for w in _cache_warnings(caplog))
    assert len(ResultCache().entries()) == 3  # and stored anew
    third = run_detect(speech_clip.path, pack="builtin", labels=labels)
    assert len(cache_on) == 2 and _events(third) == _events(first)


def _entry(label: str = "Speech") -> CachedAnalysis:
    track = ScoreTrack(label, 0.0, 0.5, 1.0, np.linspace(0, 1, 50, dtype=np.float32))
    return CachedAnalysis([track], GridTrack("speech", "audio", 0.5, 1.0, 16000), ["a warning"])


def test_temp_files_are_never_entries_and_only_stale_ones_go(tmp_path):
    cache = ResultCache(tmp_path, max_bytes=1 << 20)
    key = ResultCache.key("f", "speech", [], (0.0, 1.0), {})
    assert cache.put(key, _entry())
    folder = cache.entries()[0].parent
    fresh = folder / f".{key}.1.2.ab.tmp"
    stale = folder / f".{key}.3.4.cd.tmp"
    legacy = folder / f".{key}.5.tmp.npz"  # an older version's temp name
    for temp in (fresh, stale, legacy):
        temp.write_bytes(b"half written")
    for temp in (stale, legacy):
        os.utime(temp, (1, 1))
    assert cache.entries() == [folder / f"{key}.npz"]
    assert cache.size() == (folder / f"{key}.npz").stat().st_size
    assert cache.evict() == 0
    assert fresh.exists() and not stale.exists() and not legacy.exists()  # a live writer's temp is kept
    assert cache.get(key).warnings == ["a warning"]


def test_odd_things_at_an_entrys_name_are_misses(tmp_path):
    cache = ResultCache(tmp_path, max_bytes=0)
    key = ResultCache.key("f", "speech", [], (0.0, 1.0), {})
    path = cache._path(key)
    path.mkdir(parents=True)  # a folder where the entry goes
    assert cache.get(key) is None and not cache.put(key, _entry()) and path.is_dir()
    path.rmdir()
    os.mkfifo(path)  # a pipe: reading it must not hang
    assert cache.get(key) is None and path.exists()
    assert cache.evict() == 0 and cache.entries() == []


def test_an_entry_replaced_while_a_damaged_one_is_read_is_kept(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path, max_bytes=1 << 20)
    key = ResultCache.key("f", "speech", [], (0.0, 1.0), {})
    path = cache._path(key)
    path.parent.mkdir(parents=True)
    with open(path, "wb") as fh:  # an npz, but not of this format
        np.savez(fh, meta=np.frombuffer(b"[]", dtype=np.uint8))
    real_decode = result_cache._decode

    def replaced_meanwhile(data):  # another process writes a good entry while this one reads the bad
        ResultCache(tmp_path, max_bytes=1 << 20).put(key, _entry("Music"))
        raise ValueError("damaged")

    monkeypatch.setattr(result_cache, "_decode", replaced_meanwhile)
    assert cache.get(key) is None
    monkeypatch.setattr(result_cache, "_decode", real_decode)
    assert cache.get(key).outputs[0].label == "Music"


def test_odd_settings_and_media_leave_the_cache_off_or_default(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("AVEVENTS_CACHE_MAX_MB", "lots")
    caplog.set_level(logging.WARNING, logger="avevents.core.settings")
    assert ResultCache(tmp_path).max_bytes == CacheSettings().max_bytes == 2048 << 20
    assert any("AVEVENTS_CACHE_MAX_MB" in r.getMessage() for r in caplog.records)
    os.mkfifo(tmp_path / "pipe")
    assert result_cache.file_identity(str(tmp_path / "pipe")) is None  # never read: it would hang or consume
    assert result_cache.file_identity(str(tmp_path / "missing")) is None
