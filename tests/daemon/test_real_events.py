"""Real laughter and clapping recordings found end to end through a live daemon, and "what is in this
clip" (``top``) over gRPC, with the real tagger and frame encoder from the shared mirror."""

from __future__ import annotations

from avevents.core.results import DetectOptions

from ..conftest import start_daemon
from ..media_factory import shared_or_skip

CLIPS = ("media", "real", "labelled_clips")


def test_a_live_daemon_finds_real_laughter_and_clapping(av_store):
    laugh = shared_or_skip(*CLIPS, "laughtracker_laughter_2.wav")
    clap = shared_or_skip(*CLIPS, "remoteapplause_clap.wav")
    daemon = start_daemon()  # started with the store that holds the tagger
    try:
        with daemon.client() as client:
            found = client.detect(laugh, DetectOptions(pack="audioset"))
            laughs = [e for e in found.events if e.label == "Laughter"]
            assert laughs, found.events
            assert all(e.carried_by == "audio" and e.audio_confidence >= 0.1 for e in laughs)
            assert not any(e.label == "Speech" for e in found.events)
            claps = [e for e in client.detect(clap, DetectOptions(pack="audioset")).events if e.label == "Clapping"]
            assert claps and claps[0].end_seconds - claps[0].start_seconds >= 0.5
            ranked = client.detect(laugh, DetectOptions(pack="audioset", labels=("Speech",), top=5))
            assert len(ranked.salient) == 5
            assert "Laughter" in [x.label for x in ranked.salient]
            assert [x.salience for x in ranked.salient] == sorted((x.salience for x in ranked.salient), reverse=True)
            assert all(x.detector and 0 < x.threshold <= 1 for x in ranked.salient)
    finally:
        daemon.stop()
