"""Training and evaluation on a synthetic AVE-format dataset the tests make (real encoders from the shared
mirror): accuracy reached in CPU seconds, attention moving to the intact modality under mute and blur,
resumable runs, the CLI from training to detection, the loader on the real AVE annotation files, and
few-shot training from a timeline's markers."""

from __future__ import annotations

import numpy as np
import opentimelineio as otio
import pytest

from avevents.cli.main import main as cli
from avevents.engine.residency import ResidentModels
from avevents.models.training.ave import BACKGROUND, AveDataset, read_records
from avevents.models.training.ave_training import AveTrainOptions, evaluate, load_split, robustness, train_ave
from avevents.models.training.loop import FitOptions, fit
from avevents.models.training.metrics import Span, event_scores, spans

from ...media_factory import shared_or_skip
from .synthetic_ave import CLASSES, FPS, make_dataset


@pytest.fixture(scope="module")
def dataset(av_store, tmp_path_factory):
    root = tmp_path_factory.mktemp("ave")
    made = make_dataset(root, {"train": 6, "val": 2, "test": 3})
    return AveDataset.load(root, root / "videos"), made, root


@pytest.fixture(scope="module")
def trained(dataset, tmp_path_factory):
    ds, _, _ = dataset
    work = tmp_path_factory.mktemp("work")
    options = AveTrainOptions(fit=FitOptions(epochs=40, patience=15), cache_dir=work / "features")
    models = ResidentModels()
    result, config = train_ave(ds, models, options, work)
    return result, config, options, models, work


def test_loader_on_the_real_annotation_files(tmp_path):
    root = shared_or_skip("data", "ave")
    skipped = []
    records = read_records(root / "Annotations.txt", skipped)
    assert len(records) == 4142 and records[0].category == "Church bell"
    assert skipped == ["Annotations.txt:28: Church bell&VWi2ENBuTbw&good&0&0"]  # an empty event in the real data
    test_ids = [r.video_id for r in read_records(root / "testSet.txt")][:3]
    videos = tmp_path / "videos"
    videos.mkdir()
    for video_id in test_ids:  # stand-ins: the real videos are not here
        (videos / f"{video_id}.mp4").write_bytes(b"stand-in")
    ds = AveDataset.load(root, videos)
    assert len(ds.categories) == 28 and ds.labels[-1] == BACKGROUND and len(ds.splits["test"]) == 402
    assert len(ds.splits["train"]) == 3338 and len(ds.skipped) == 1
    present, missing = ds.available("test")
    assert [r.video_id for r, _ in present] == test_ids and len(missing) == 399
    record = present[0][0]
    labels = ds.segment_labels(record)
    assert list(labels[record.start : record.end]) == [ds.categories.index(record.category)] * (
        record.end - record.start
    )
    assert (np.delete(labels, range(record.start, record.end)) == 28).all()


def test_event_metrics():
    assert spans(np.array([3, 0, 0, 3, 1, 1, 1, 3]), background=3) == [Span(0, 1, 3), Span(1, 4, 7)]
    per_class, micro = event_scores([[Span(0, 1, 3)], [Span(1, 0, 2)]], [[Span(0, 1.5, 3.5)], [Span(2, 0, 2)]], 3)
    assert (micro.precision, micro.recall) == (0.5, 0.5) and per_class[0].f1 == 1.0 and per_class[1].precision == 0


def test_training_reaches_the_stated_accuracy_and_attention_follows_the_damage(dataset, trained):
    ds, _, _ = dataset
    result, config, options, models, work = trained
    assert config.exclusive and config.temporal == "bilstm" and config.labels == (*CLASSES, BACKGROUND)
    assert result.best_accuracy >= 0.9
    test, _, missing = load_split(ds, "test", models, options)
    scores = evaluate(result.model, test, len(ds.labels))
    assert not missing and scores.segment_accuracy >= 0.85 and scores.micro.f1 >= 0.7
    assert (work / "best.pt").is_file() and (work / "last.pt").is_file() and (work / "history.json").is_file()
    table = robustness(result.model, ds, "test", models, options, work / "robustness")
    normal, muted, blurred = table["normal"], table["muted audio"], table["blurred video"]
    assert muted.attention[1] > normal.attention[1] + 0.03  # muted: attention to the picture
    assert blurred.attention[0] > normal.attention[0] + 0.03  # blurred: attention to the sound
    assert muted.segment_accuracy >= 0.6 and blurred.segment_accuracy >= 0.6


def test_cross_modal_attention_variant_trains_too(dataset, trained, tmp_path):
    ds, _, _ = dataset
    _, _, options, models, _ = trained
    cross = AveTrainOptions(temporal="cross", fit=FitOptions(epochs=40, patience=15), cache_dir=options.cache_dir)
    result, config = train_ave(ds, models, cross)
    test, _, _ = load_split(ds, "test", models, cross)
    assert config.temporal == "cross" and evaluate(result.model, test, len(ds.labels)).segment_accuracy >= 0.85
    from avevents.cli.train_commands import draw_attention

    clip = ds.available("test")[0][0][1]
    png = draw_attention(result.model, config, clip, tmp_path / "cross.png", models)
    assert png.is_file() and (tmp_path / "cross-audio-to-video.png").stat().st_size > 500
    assert (tmp_path / "cross-video-to-audio.png").is_file()


def test_an_interrupted_run_resumes(dataset, trained, tmp_path):
    ds, _, _ = dataset
    _, config, options, models, _ = trained
    train_data, _, _ = load_split(ds, "train", models, options)
    fit(config, train_data, None, FitOptions(epochs=3), tmp_path)
    seen = []
    result = fit(config, train_data, None, FitOptions(epochs=6), tmp_path, resume=True, progress=seen.append)
    assert [h["epoch"] for h in result.history] == [0, 1, 2, 3, 4, 5] and seen[0]["epoch"] == 3


def test_cli_trains_evaluates_and_the_pack_detects(dataset, tmp_path, capsys, run_detect):
    _, made, root = dataset
    work = tmp_path / "run"
    code = cli(["train", "--ave", str(root), "--videos", str(root / "videos"), "--name", "synth-ave",
                "--epochs", "30", "--work-dir", str(work)])  # fmt: skip
    assert code == 0 and "installed pack synth-ave" in capsys.readouterr().out
    assert (work / "loss.png").stat().st_size > 1000
    video = made["test"][0]
    clip = root / "videos" / f"{video.video_id}.mp4"
    png = tmp_path / "att.png"
    code = cli(["eval", "--pack", "synth-ave", "--ave", str(root), "--videos", str(root / "videos"),
                "--work-dir", str(tmp_path / "eval"), "--attention", str(clip), "--png", str(png)])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0 and "segment accuracy" in printed and png.stat().st_size > 1000
    assert not (tmp_path / "att-audio-to-video.png").exists()  # a BiLSTM pack has no cross-modal maps
    result = run_detect(clip, pack="synth-ave", labels=(video.category,))
    found = [e for e in result.events if e.label == video.category]
    assert (
        len(found) == 1
        and abs(found[0].start_seconds - video.start) <= 1
        and abs(found[0].end_seconds - video.end) <= 1
    )
    assert found[0].audio_confidence is not None and found[0].audio_weight + found[0].video_weight == pytest.approx(1)


def test_few_shot_from_a_timelines_markers(dataset, tmp_path, capsys, run_detect):
    _, made, root = dataset
    tl = otio.schema.Timeline(name="teach")
    track = otio.schema.Track(name="V1")
    tl.tracks.append(track)
    examples = [v for v in made["train"] if v.category == "Bird"][:3] + [
        v for v in made["train"] if v.category != "Bird"
    ][:3]
    for video in examples:
        url = otio.url_utils.url_from_filepath(str(root / "videos" / f"{video.video_id}.mp4"))
        whole = otio.opentime.TimeRange(otio.opentime.RationalTime(0, FPS), otio.opentime.RationalTime(10 * FPS, FPS))
        clip = otio.schema.Clip(video.video_id, otio.schema.ExternalReference(url, whole), whole)
        if video.category == "Bird":  # the editor marked the chirping bird; nothing else
            marked = otio.opentime.TimeRange(
                otio.opentime.RationalTime(video.start * FPS, FPS),
                otio.opentime.RationalTime((video.end - video.start) * FPS, FPS),
            )
            clip.markers.append(otio.schema.Marker("Chirp", marked))
        track.append(clip)
    path = tmp_path / "teach.otio"
    otio.adapters.write_to_file(tl, str(path))
    assert cli(["train", "--from-timelines", str(path), "--name", "chirps", "--work-dir", str(tmp_path / "w")]) == 0
    assert "1 label(s) (Chirp) from 6 clip(s)" in capsys.readouterr().out
    bird = next(v for v in made["test"] if v.category == "Bird")
    found = run_detect(root / "videos" / f"{bird.video_id}.mp4", pack="chirps", labels=("Chirp",)).events
    assert found and abs(found[0].start_seconds - bird.start) <= 1 and abs(found[0].end_seconds - bird.end) <= 1
    cat = next(v for v in made["test"] if v.category == "Cat" and not v.distractor)
    assert not run_detect(root / "videos" / f"{cat.video_id}.mp4", pack="chirps", labels=("Chirp",)).events
