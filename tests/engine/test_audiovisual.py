"""Fusion with modality attention on real clips (weights from the shared mirror): the seeds' robustness
result (mute -> attention to the picture, blur -> attention to the sound) and the events it yields."""

from __future__ import annotations

import numpy as np
import pytest

from avevents.engine.detectors.audiovisual import fuse
from avevents.engine.residency import ResidentModels
from avevents.engine.robustness import modality_attention, perturb

from ..media_factory import shared_or_skip

DOG_CLIP = ("media", "real", "av_clips", "llp_BjCEufrlXm4.mp4")  # LLP: Speech, Dog (a dog on screen)


def test_fusion_rule():
    audio = np.array([0.9, 0.01, 0.5, np.nan, 0.7])
    video = np.array([0.9, 0.8, np.nan, 0.6, 0.05])
    audible = np.array([True, False, True, True, True])  # slot 1: a muted soundtrack
    fused, w_a, w_v = fuse(audio, video, audible)
    assert np.allclose(w_a + w_v, 1)
    assert w_a[0] == pytest.approx(0.5) and fused[0] == pytest.approx(0.9)
    assert w_v[1] > 0.99 and fused[1] == pytest.approx(0.8, abs=0.01)  # muted: the picture leads
    assert (w_a[2], w_v[2], fused[2]) == (1.0, 0.0, 0.5)  # no visual counterpart: audio alone
    assert (w_a[3], w_v[3], fused[3]) == (0.0, 1.0, 0.6)  # no audio: picture alone
    assert w_a[4] > 0.95  # blurred: the sound leads


def test_the_picture_cannot_create_a_sound_the_audible_soundtrack_lacks():
    # Slot scores recorded from real clips: a dog on screen over a soundtrack without a dog (the
    # chainsaw clip: audio 0.02, picture 0.85), a dog heard faintly and seen (0.25 / 0.9), a dog
    # heard and seen (0.9 / 0.9), and the same picture over a muted track.
    audio = np.array([0.02, 0.25, 0.9, 0.001])
    video = np.array([0.85, 0.9, 0.9, 0.85])
    audible = np.array([True, True, True, False])
    fused, w_a, w_v = fuse(audio, video, audible)
    assert fused[0] == pytest.approx(2 * 0.02) and fused[0] < 0.1  # at most twice what is heard: no Dog
    assert 0.25 < fused[1] <= np.sqrt(0.25 * 0.9) + 1e-9  # confirmed: raised, not invented
    assert fused[2] == pytest.approx(0.9)
    assert (w_a[3], w_v[3], fused[3]) == (0.0, 1.0, 0.85)  # silent soundtrack: the picture carries it
    # Without ``audible`` every slot with audio counts as audible.
    assert np.array_equal(fuse(audio, video)[0][:3], fused[:3])


def test_slot_levels_tell_a_muted_track_from_room_tone():
    class _Tagger:  # the level needs no network: only the fed samples
        labels = type("L", (), {"index": {}})()
        mel = None
        name, version = "t", "0"

    from avevents.engine.detectors.audioset import AudioSetDetector
    from avevents.engine.media.decode import AudioBlock
    from avevents.models.mel import LogMel

    _Tagger.mel = LogMel()
    detector = AudioSetDetector(_Tagger(), [])
    rng = np.random.default_rng(0)
    room = (rng.standard_normal(32000) * 10 ** (-55 / 20)).astype(np.float32)
    detector.feed_audio(AudioBlock(32000, 0.0, np.zeros(40000, np.float32)))
    detector.feed_audio(AudioBlock(32000, 1.25, room))
    levels = detector.slot_levels()
    assert len(levels) == 5 and levels[0] < -150 and levels[1] < -150  # 0-1 s: digital silence
    assert -57 < levels[3] < -53  # room tone is audible


def test_attention_shifts_to_the_intact_modality(av_store, tmp_path):
    clip = shared_or_skip(*DOG_CLIP)
    models = ResidentModels()
    result = {
        c: modality_attention(perturb(clip, c, tmp_path / f"{i}.mp4"), "Dog", models)
        for i, c in enumerate(("normal", "muted audio", "blurred video"))
    }
    normal, muted, blurred = result["normal"], result["muted audio"], result["blurred video"]
    assert normal.audio_score > 0.5 and normal.video_score > 0.5  # both modalities show the dog
    assert muted.video_weight > max(normal.video_weight, 0.9)
    assert blurred.audio_weight > max(normal.audio_weight, 0.9)
    assert muted.fused_score > 0.5 and blurred.fused_score > 0.5  # still found with one modality damaged


def test_events_carry_both_confidences_and_attention(av_store, run_detect, speech_wav):
    result = run_detect(shared_or_skip(*DOG_CLIP), pack="audioset", labels=("Dog", "Laughter", "Speech"))
    dog = [e for e in result.events if e.label == "Dog"]
    assert dog, result.events
    e = dog[0]
    assert e.audio_confidence is not None and e.video_confidence is not None
    assert e.audio_weight + e.video_weight == pytest.approx(1, abs=1e-3)
    assert ("mobilenet-v2-imagenet", "1.0_224_quant") in result.models
    speech = [e for e in result.events if e.label == "Speech"]
    assert speech and all(s.video_confidence is None for s in speech)  # no visual counterpart
    audio_only = run_detect(speech_wav.path, pack="audioset", labels=("Dog",))
    assert any("use the audio alone (attention 1/0)" in w for w in audio_only.warnings)


def test_truncated_picture_stream_is_reported(av_store, run_detect, tmp_path):
    """Only pictures are decoded for fused labels (no cut detection): a video cut short is still said."""
    whole = perturb(shared_or_skip(*DOG_CLIP), "normal", tmp_path / "dog.mkv")
    data = whole.read_bytes()
    short = tmp_path / "dog_short.mkv"
    short.write_bytes(data[: int(len(data) * 0.5)])
    result = run_detect(short, pack="audioset", labels=("Dog",))
    assert any(w.startswith("the video stops at") for w in result.warnings), result.warnings


def test_key_frames_only_decodes_less_and_finds_the_same(av_store, run_detect, tmp_path):
    """Pictures from key frames only (no scene cuts asked): the dog is still found, nothing is reported
    truncated, and with cuts asked every frame is decoded, said in a note."""
    from avevents.engine.media.decode import DecodeSettings, decode
    from avevents.engine.media.probe import probe
    from avevents.engine.media.writer import write_media

    frames = (np.full((120, 160, 3), (i * 7) % 255, np.uint8) for i in range(100))
    clip = tmp_path / "gop25.mp4"
    write_media(clip, frames=frames, frame_rate=25, video_options={"g": "25", "keyint_min": "25"})
    info = probe(clip)
    pictures = [
        f for f in decode(info, DecodeSettings(picture_fps=5.0, keyframes_only=True), 0, 4) if f.picture is not None
    ]
    assert [round(f.time_seconds) for f in pictures] == [0, 1, 2, 3]  # one key frame a second
    dog = shared_or_skip(*DOG_CLIP)
    full = run_detect(dog, pack="audioset", labels=("Dog",))
    fast = run_detect(dog, pack="audioset", labels=("Dog",), keyframes_only=True)
    assert [e.label for e in fast.events] == [e.label for e in full.events] == ["Dog"]
    assert not any("truncated" in w or "ends" in w for w in fast.warnings), fast.warnings
    with_cuts = run_detect(dog, pack="audioset", labels=("Dog", "Scene cut"), keyframes_only=True)
    assert any("scene cuts need every frame" in w for w in with_cuts.warnings)


def test_no_picture_only_sound_event_while_the_soundtrack_is_audible(av_store, run_detect, tmp_path):
    # The horse and chainsaw clips (AudioSet eval segments) show animals or shapes that the frame
    # encoder takes for a dog; their soundtracks hold no dog. Before the rule each got a "Dog" event
    # with audio confidence 0.00.
    for name in ("audioset_eval_3GbIhQLCH9I_16.000_26.000.mp4", "audioset_eval_4egukLBpAcQ_30.000_40.000.mp4"):
        result = run_detect(shared_or_skip("media", "real", "av_clips", name), pack="audioset", labels=("Dog",))
        assert not result.events, (name, result.events)
    dog = shared_or_skip(*DOG_CLIP)
    heard = [e for e in run_detect(dog, pack="audioset", labels=("Dog",)).events if e.label == "Dog"]
    assert heard and all(e.carried_by in ("audio", "audio+video") for e in heard)
    muted = run_detect(perturb(dog, "muted audio", tmp_path / "muted.mp4"), pack="audioset", labels=("Dog",))
    seen = [e for e in muted.events if e.label == "Dog"]
    assert seen and all(e.carried_by == "video" and e.audio_confidence is None for e in seen)
