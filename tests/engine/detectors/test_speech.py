"""Speech on real spoken words (../shared/media/sounds/words) laid over quiet noise."""

from __future__ import annotations

import numpy as np

from avevents.models import silero_vad

from ...media_factory import load_audio, shared_or_skip

TOLERANCE = 0.3  # seconds, the boundary target


def ranges(result, label):
    return [(e.start_seconds, e.end_seconds) for e in result.events if e.label == label]


def test_speech_boundaries_within_tolerance(speech_clip, run_detect):
    result = run_detect(speech_clip.path, labels=("Speech",))
    found = ranges(result, "Speech")
    assert len(found) == len(speech_clip.speech), (found, speech_clip.speech)
    for (ts, te), (fs, fe) in zip(speech_clip.speech, found):
        assert abs(fs - ts) <= TOLERANCE and abs(fe - te) <= TOLERANCE, ((ts, te), (fs, fe))
    # Audio-only evidence: the audio confidence is the confidence, the video has no say.
    for e in result.events:
        assert e.audio_confidence == e.confidence and e.video_confidence is None


def test_music_and_silence_are_not_speech(speech_clip, run_detect):
    result = run_detect(speech_clip.path, labels=("Speech",))
    for start, end in speech_clip.music + speech_clip.silence:
        overlap = sum(max(0.0, min(end, fe) - max(start, fs)) for fs, fe in ranges(result, "Speech"))
        assert overlap <= TOLERANCE, f"speech found inside {start}-{end} s (music or silence)"


def test_wav_and_mp4_give_the_same_speech(speech_wav, run_detect):
    result = run_detect(speech_wav.path, labels=("Speech",))
    found = ranges(result, "Speech")
    assert len(found) == len(speech_wav.speech)
    for (ts, te), (fs, fe) in zip(speech_wav.speech, found):
        assert abs(fs - ts) <= TOLERANCE and abs(fe - te) <= TOLERANCE


def test_sequence_model_matches_streaming_model():
    """The batched sequence ONNX gives Silero's streaming probabilities on real speech."""
    import onnxruntime as ort

    audio = load_audio(shared_or_skip("media", "audio", "speech.wav"), silero_vad.SAMPLE_RATE)
    vad = silero_vad.SileroVad()
    stream = vad.stream()
    batched = np.concatenate([stream.push(audio[i : i + 7000]) for i in range(0, len(audio), 7000)])

    session = ort.InferenceSession(
        str(silero_vad.model_dir() / silero_vad.STREAMING_MODEL), providers=["CPUExecutionProvider"]
    )
    state = np.zeros((2, 1, 128), np.float32)
    context = np.zeros(silero_vad.CONTEXT, np.float32)
    reference = []
    for i in range(len(audio) // silero_vad.WINDOW):
        chunk = audio[i * silero_vad.WINDOW : (i + 1) * silero_vad.WINDOW]
        out, state = session.run(
            None,
            {
                "input": np.concatenate([context, chunk])[None],
                "state": state,
                "sr": np.array(silero_vad.SAMPLE_RATE, np.int64),
            },
        )
        reference.append(out[0, 0])
        context = chunk[-silero_vad.CONTEXT :]
    assert len(batched) == len(reference)
    np.testing.assert_allclose(batched, reference, atol=1e-4)
    assert max(reference) > 0.9  # it is speech
