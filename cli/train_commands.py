"""``avevents train`` (an AVE-format dataset, or your own timelines' markers) and ``avevents eval``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from avevents.core.errors import InvalidRequest


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a fusion pack: on an AVE-format dataset, or from your timelines' markers")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--ave", type=Path, metavar="DIR", help="AVE-format annotations (categories + split files)")
    source.add_argument("--from-timelines", type=Path, nargs="+", metavar="TIMELINE", help="timelines with markers")
    p.add_argument("--videos", type=Path, metavar="DIR", help="the dataset's videos (<VideoID>.mp4)")
    p.add_argument("--name", required=True, help="name of the pack to install")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--steps", type=int, default=600, help="training steps from timelines")
    p.add_argument(
        "--temporal", choices=("bilstm", "cross", "none"), default="bilstm", help="cross: cross-modal attention too"
    )
    p.add_argument("--work-dir", type=Path, help="checkpoints, history and loss curve (default: avevents-train-NAME)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its work dir")
    p.add_argument("--cache", type=Path, help="feature cache folder (default: WORK_DIR/features)")
    p.add_argument("--search-path", type=Path, action="append", default=[], metavar="DIR")
    p.add_argument("--rate", type=float, help="an EDL's frame rate")
    p.add_argument("--device", default="cpu", help="where the encoders and training run: cpu or cuda:N")
    p.add_argument("--audio-encoder", default="efficientat-mn04-as", help="or wav2vec2-base (wav2vec2 extra)")
    p.add_argument("--video-encoder", default="mobilenet-v2-imagenet", help="or resnet18-imagenet")
    p.set_defaults(func=train)
    e = sub.add_parser("eval", help="measure a fusion pack on an AVE-format split (accuracy, events, robustness)")
    e.add_argument("--pack", required=True)
    e.add_argument("--ave", type=Path, required=True, metavar="DIR")
    e.add_argument("--videos", type=Path, required=True, metavar="DIR")
    e.add_argument("--split", default="test", choices=("train", "val", "test"))
    e.add_argument("--robustness", action="store_true", help="also muted / blurred / noisy copies (seeds' table)")
    e.add_argument("--attention", type=Path, metavar="VIDEO", help="draw this clip's attention over time...")
    e.add_argument("--png", type=Path, help="...into this PNG (default: attention.png)")
    e.add_argument("--work-dir", type=Path, default=Path("avevents-eval"))
    e.set_defaults(func=evaluate)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _progress(item) -> None:
    """A bar of the epochs with the loss and accuracy; one line per epoch where stderr is not a terminal."""
    if not isinstance(item, dict):
        return
    done = item["epoch"] + 1
    width = 24
    filled = round(width * done / item["epochs"])
    text = (
        f"[{'#' * filled}{'-' * (width - filled)}] epoch {done}/{item['epochs']}  loss {item['loss']:.4f}  "
        f"val accuracy {item['val_accuracy']:.3f}  (best {item['best_accuracy']:.3f})"
    )
    if sys.stderr.isatty():
        print("\r" + text, end="" if done < item["epochs"] else "\n", file=sys.stderr, flush=True)
    else:
        _say(text)


def _features_progress(split: str, done: int, total: int) -> None:
    if done == total or done % 25 == 0:
        _say(f"features {split}: {done}/{total} videos")


def _check_resumable(work: Path) -> None:
    """Refuse a checkpoint that cannot be resumed from (a crafted or damaged ``last.pt``) before the
    encoders load and the features are computed, which takes minutes.

    :param work: the run's work folder.
    :raises InvalidRequest: ``last.pt`` is there but is refused (see ``loop.read_checkpoint``).
    """
    from avevents.models.training.loop import LAST, read_checkpoint

    if (work / LAST).is_file():
        read_checkpoint(work / LAST)


def train(args: argparse.Namespace) -> int:
    from avevents.engine.residency import ResidentModels
    from avevents.models.fusion_pack import install_fusion_pack
    from avevents.models.store import ModelStore
    from avevents.models.training.plots import loss_curve

    work = args.work_dir or Path(f"avevents-train-{args.name}")
    work.mkdir(parents=True, exist_ok=True)
    if args.resume:
        _check_resumable(work)
    cache = args.cache or work / "features"
    models = ResidentModels(default_device=args.device, settings=args.settings)
    if args.ave is not None:
        if args.videos is None:
            raise InvalidRequest("--ave needs --videos (the folder of <VideoID>.mp4 files)")
        from avevents.models.training.ave import AveDataset
        from avevents.models.training.ave_training import AveTrainOptions, train_ave
        from avevents.models.training.loop import FitOptions

        dataset = AveDataset.load(args.ave, args.videos)
        fit_options = FitOptions(epochs=args.epochs, device=args.device)
        options = AveTrainOptions(
            args.audio_encoder, args.video_encoder, temporal=args.temporal, fit=fit_options, cache_dir=cache
        )

        def progress(*item) -> None:
            if len(item) == 3:
                _features_progress(*item)
            else:
                _progress(item[0])

        result, _ = train_ave(dataset, models, options, work, args.resume, progress)
        if sys.stderr.isatty():
            print(file=sys.stderr)  # end the bar (early stopping ends it before the last epoch)
        loss_curve(result.history, work / "loss.png")
        model = result.model
        summary = f"best validation segment accuracy {result.best_accuracy:.3f} at epoch {result.best_epoch + 1}"
    else:
        from avevents.models.fusion import FusionConfig
        from avevents.models.fusion_training import TrainOptions, train_fusion
        from avevents.models.training.timelines import collect

        examples = collect(
            args.from_timelines,
            models,
            args.audio_encoder,
            args.video_encoder,
            cache,
            args.search_path,
            args.rate,
        )
        for line in examples.skipped:
            _say(f"skipped: {line}")
        config = FusionConfig(
            tuple(examples.labels),
            args.audio_encoder,
            args.video_encoder,
            examples.audio.shape[1],
            examples.video.shape[1],
            hidden=64,
        )
        model = train_fusion(
            config, examples.audio, examples.video, examples.present, examples.targets, TrainOptions(steps=args.steps)
        )
        positives = int(examples.targets.any(axis=1).sum())
        summary = (
            f"{len(examples.labels)} label(s) ({', '.join(examples.labels)}) from {examples.clips} clip(s), "
            f"{positives} marked half-seconds of {len(examples.targets)}"
        )
    pack = install_fusion_pack(ModelStore.configured(args.settings.store), args.name, model)
    print(f"{summary}; installed pack {pack.spec.name} (use: avevents detect FILE --pack {pack.spec.name})")
    print(f"work folder: {work}")
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from avevents.engine.residency import ResidentModels
    from avevents.models.fusion import FusionConfig, load_fusion
    from avevents.models.fusion_pack import CONFIG_FILE
    from avevents.models.store import ModelStore
    from avevents.models.training.ave import AveDataset
    from avevents.models.training.ave_training import AveTrainOptions, load_split, robustness
    from avevents.models.training.ave_training import evaluate as run_eval

    pack = ModelStore.configured(args.settings.store).require(args.pack)
    config = FusionConfig.from_json(pack.file(CONFIG_FILE).read_text())
    if not config.exclusive:
        raise InvalidRequest(f"{args.pack} was not trained on AVE-format data (its labels can co-occur)")
    model = load_fusion(pack.path, pack.spec.file("fusion.pt").sha256)
    dataset = AveDataset.load(args.ave, args.videos)
    if list(dataset.labels) != list(config.labels):
        raise InvalidRequest(f"{args.pack} predicts other classes than {args.ave}/categories.txt")
    options = AveTrainOptions(config.audio_encoder, config.video_encoder, cache_dir=args.work_dir / "features")
    models = ResidentModels(settings=args.settings)
    data, _, missing = load_split(dataset, args.split, models, options, _features_progress)
    result = run_eval(model, data, len(dataset.labels))
    print(f"{args.split}: {len(data)} videos ({len(missing)} missing); segment accuracy {result.segment_accuracy:.3f}")
    print(
        f"events (onset within 1 s): P {result.micro.precision:.3f}  R {result.micro.recall:.3f}  "
        f"F1 {result.micro.f1:.3f}"
    )
    print(f"{'class':36} {'P':>6} {'R':>6} {'F1':>6} {'n':>4}")
    for c, s in sorted(result.per_class.items()):
        print(f"{dataset.labels[c][:36]:36} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.support:4d}")
    if args.robustness:
        print(f"{'condition':14} {'accuracy':>9} {'w_audio':>8} {'w_video':>8}")
        for condition, r in robustness(model, dataset, args.split, models, options, args.work_dir).items():
            print(f"{condition:14} {r.segment_accuracy:9.3f} {r.attention[0]:8.3f} {r.attention[1]:8.3f}")
    if args.attention is not None:
        print(f"attention: {draw_attention(model, config, args.attention, args.png or Path('attention.png'), models)}")
    return 0


def draw_attention(model, config, video: Path, png: Path, models) -> Path:
    import torch

    from avevents.models.training.cache import video_features
    from avevents.models.training.plots import attention_plot, cross_modal_map

    a, v, p = video_features(video, models, config.audio_encoder, config.video_encoder, png.parent / ".features", 1.0)
    with torch.no_grad():
        logits, _, _, weights = model(*(torch.as_tensor(x, dtype=torch.float32)[None] for x in (a, v, p)))
        maps = model.cross_maps(*(torch.as_tensor(x, dtype=torch.float32)[None] for x in (a, v, p)))
    predicted = [config.labels[i] for i in logits[0].argmax(-1).tolist()]
    names = ["" if name == config.labels[-1] else name for name in predicted]
    times = [float(i) for i in range(len(names))]
    if maps is not None:
        cross_modal_map(maps[0][0].tolist(), png.with_name(png.stem + "-audio-to-video.png"))
        cross_modal_map(
            maps[1][0].tolist(), png.with_name(png.stem + "-video-to-audio.png"), "video attending to audio"
        )
    return attention_plot(times, weights[0, :, 0].tolist(), weights[0, :, 1].tolist(), names, png)
