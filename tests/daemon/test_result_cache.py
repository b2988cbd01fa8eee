"""The result cache: a re-run with other thresholds, labels or a sub-range skips decoding and inference
and gives the events a fresh analysis would; a changed file, another pack version or --no-cache analyse
again; entries are evicted least-recently-used past the limit, a damaged one is dropped."""

from __future__ import annotations

import os
import shutil

import pytest

from avevents.cli.main import main as cli
from avevents.daemon import pipeline
from avevents.daemon.result_cache import ResultCache
from avevents.daemon.results import LabelOptions


@pytest.fixture
def cache_on(tmp_path, monkeypatch):
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


def test_audioset_labels_asked_later_come_from_the_first_analysis(cache_on, av_store, run_detect, speech_clip):
    first = run_detect(speech_clip.path, pack="audioset", labels=("Music",))
    assert len(cache_on) == 1
    later = run_detect(speech_clip.path, pack="audioset", labels=("Music", "Dog", "Laughter"))
    assert len(cache_on) == 1  # every one of the 527 was kept
    assert [e for e in _events(later) if e[0] == "Music"] == _events(first)


def test_eviction_damage_and_the_cli(cache_on, tmp_path, capsys, run_detect, speech_clip):
    run_detect(speech_clip.path, labels=("Speech", "Silence", "Transient"))
    cache = ResultCache()
    entries = sorted(cache.entries(), key=lambda p: p.stat().st_mtime)
    assert len(entries) == 3
    os.utime(entries[0], (1, 1))  # the least recently used
    small = ResultCache(max_bytes=cache.size() - 1)
    assert small.evict() == 1 and not entries[0].exists()
    entries[1].write_bytes(b"not an npz")
    run_detect(speech_clip.path, labels=("Speech", "Silence", "Transient"))
    assert len(cache_on) == 2 and len(cache_on[-1]) == 2  # the evicted and the damaged ran again; one hit
    assert cli(["cache", "info"]) == 0
    assert "3 entries" in capsys.readouterr().out
    assert cli(["cache", "clear"]) == 0 and "removed 3" in capsys.readouterr().out
    assert ResultCache().entries() == []
