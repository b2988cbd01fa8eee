"""The AudioSet pack: the real EfficientAT weights installed from the shared mirror into a store."""

from __future__ import annotations

import os

import pytest

from avevents.core.errors import ModelUnavailable, UnknownLabel
from avevents.engine.detectors import registry
from avevents.engine.media.writer import write_media
from avevents.models.store import ModelStore

from ...media_factory import SHARED, shared_or_skip, speech_and_music_soundtrack

TOLERANCE = 1.0  # seconds, the target for Speech and Music boundaries


@pytest.fixture(scope="module")
def tagger_store(tmp_path_factory):
    shared_or_skip("models", registry.TAGGER_MODEL, "mn04_as_mAP_432.pt")
    store_dir = tmp_path_factory.mktemp("store")
    ModelStore(store_dir, SHARED / "models").pull(registry.TAGGER_MODEL)
    old = os.environ["AVEVENTS_MODEL_STORE"]
    os.environ["AVEVENTS_MODEL_STORE"] = str(store_dir)
    yield store_dir
    os.environ["AVEVENTS_MODEL_STORE"] = old


@pytest.fixture(scope="module")
def music_clip(tmp_path_factory):
    shared_or_skip("media", "sounds", "words")
    audio, clip = speech_and_music_soundtrack(48000)
    clip.path = tmp_path_factory.mktemp("clips") / "speech_music.m4a"
    write_media(clip.path, audio=audio, sample_rate=48000)
    return clip


def _ranges(result, label):
    return [(e.start_seconds, e.end_seconds) for e in result.events if e.label == label]


def _overlap(a, ranges):
    return sum(max(0.0, min(a[1], e) - max(a[0], s)) for s, e in ranges)


def test_speech_and_music_boundaries_within_a_second(tagger_store, music_clip, run_detect):
    result = run_detect(music_clip.path, pack="audioset", labels=("Speech", "Music"))
    assert result.pack == "audioset"
    music = _ranges(result, "Music")
    speech = _ranges(result, "Speech")
    for truth in music_clip.music:
        hits = [r for r in music if r[0] < truth[1] and r[1] > truth[0]]
        assert len(hits) == 1, (truth, music)
        assert abs(hits[0][0] - truth[0]) <= TOLERANCE and abs(hits[0][1] - truth[1]) <= TOLERANCE, (truth, hits)
    for truth in music_clip.speech:
        hits = [r for r in speech if r[0] < truth[1] and r[1] > truth[0]]
        assert len(hits) == 1 and abs(hits[0][0] - truth[0]) <= TOLERANCE and abs(hits[0][1] - truth[1]) <= TOLERANCE
        assert _overlap(truth, music) <= TOLERANCE  # no music on the words
    music_event = next(e for e in result.events if e.label == "Music")
    assert music_event.model == "efficientat-mn04-as 0.0.1"
    assert music_event.audio_confidence == music_event.confidence and music_event.video_confidence is None


def test_default_pack_follows_the_store(tagger_store, tmp_path):
    packs = registry.Packs.read(ModelStore())
    assert packs.default == "audioset"
    assert "Laughter" in packs.default_labels("audioset") and "Scene cut" in packs.default_labels("audioset")
    empty = registry.Packs.read(ModelStore(tmp_path / "empty"))
    assert empty.default == "builtin" and empty.names()[:2] == ["builtin", "audioset"]
    with pytest.raises(ModelUnavailable, match="models pull efficientat-mn04-as"):
        empty.resolve_labels("audioset", ["Laughter"])


def test_any_audioset_label_by_name_and_close_matches(tagger_store):
    categories = (SHARED / "data" / "ave" / "categories.txt").read_text().split("\n")
    names = [c.strip() for c in categories if c.strip()]
    assert len(names) == 28
    packs = registry.Packs.read(ModelStore())
    assert packs.resolve_labels("audioset", names) == names  # every AVE category is selectable
    assert packs.resolve_labels("audioset", ["baby cry", "footsteps", "SPEECH"]) == [
        "Baby cry, infant cry",
        "Walk, footsteps",
        "Speech",
    ]
    with pytest.raises(UnknownLabel, match="Laughter"):
        packs.resolve_labels("audioset", ["Laughtr"])
    with pytest.raises(UnknownLabel):
        packs.resolve_labels("builtin", ["Music"])


def test_daemon_serves_the_audioset_pack(tagger_store, music_clip):
    from ...conftest import start_daemon

    d = start_daemon()
    try:
        with d.client() as client:
            from avevents.core.results import DetectOptions

            result = client.detect(music_clip.path, DetectOptions(labels=("Music",)))
            assert result.pack == "audioset" and _ranges(result, "Music")
            loaded = {m.name for m in client.status().loaded_models}
            assert "efficientat-mn04-as" in loaded  # stays resident for the next request
            models = {m.name: m for m in client.list_models().models}
            assert models["efficientat-mn04-as"].available and models["efficientat-mn04-as"].loaded
            assert client.unload_model("efficientat-mn04-as").loaded is False
    finally:
        d.stop()


def test_real_recordings_get_their_labels(tagger_store, run_detect):
    # Real recordings (../shared/media/real/labelled_clips), each with the label its file name gives.
    clips = {
        "laughtracker_laughter.wav": "Laughter",
        "laughtracker_laughter_2.wav": "Laughter",
        "remoteapplause_clap.wav": "Clapping",
        "panns_R9_ZSCveAHg_7s.wav": "Telephone bell ringing",
    }
    for name, label in clips.items():
        path = shared_or_skip("media", "real", "labelled_clips", name)
        result = run_detect(path, pack="audioset", labels=(label,))
        assert [e.label for e in result.events] and {e.label for e in result.events} == {label}, (name, result.events)
    # The family: a chuckle or snicker counts as Laughter, and the events name the label asked for.
    laugh = run_detect(shared_or_skip("media", "real", "labelled_clips", "laughtracker_laughter.wav"), pack="audioset")
    assert "Laughter" in {e.label for e in laugh.events}


def test_top_ranks_the_labels_present_by_their_own_thresholds(tagger_store, run_detect):
    path = shared_or_skip("media", "real", "labelled_clips", "panns_R9_ZSCveAHg_7s.wav")
    result = run_detect(path, pack="audioset", labels=("Speech",), top=10)
    names = [x.label for x in result.salient]
    assert len(names) == 10 and "Telephone bell ringing" in names and "Speech" in names
    assert [e.label for e in result.events if e.label != "Speech"] == []  # ranking adds no events
    for x in result.salient:
        assert x.salience == pytest.approx(x.peak / x.threshold, rel=1e-3)
        assert 0.0 <= x.peak_seconds <= result.media.duration_seconds
    assert not run_detect(path, pack="audioset", labels=("Speech",)).salient  # only when asked
