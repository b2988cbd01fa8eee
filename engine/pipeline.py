"""One detection request, start to finish: ``prepare`` (validate the options, check the pack and labels
against one snapshot of the store, probe the media, plan the detectors) then ``run`` (decode once, run
the detectors, post-process).

Each check happens once, in ``prepare``: the daemon prepares a request as soon as it has a place in the
queue (bad input fails without waiting behind other jobs) and runs it when its turn comes; ``detect`` is
both in one call, for ``avevents detect`` in-process when no daemon is up, so both give the same results.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from queue import Empty, Full, Queue
from typing import TYPE_CHECKING

from avevents.core.errors import Cancelled, NoUsableStream, RangeOutsideMedia
from avevents.core.results import DetectOptions, DetectResult, Event, MediaInfo, ProgressUpdate

from .detectors.base import Detector
from .detectors.registry import Packs, PlanItem
from .media.decode import AudioBlock, DecodeReport, DecodeSettings, decode
from .media.probe import probe
from .postprocess import PointCandidates, points_to_ranges, track_to_ranges
from .residency import ResidentModels
from .result_cache import CachedAnalysis, ResultCache, file_identity
from .salience import salient_labels
from .speech_gate import gate_speech, tagger_tracks

if TYPE_CHECKING:
    from .detectors.features import SegmentFeatures

log = logging.getLogger(__name__)

TRUNCATION_TOLERANCE_SECONDS = 1.0
DEFAULT_PICTURE_FPS = 2.0  # pictures a second for whole-frame detectors: one per half-second fusion slot
PICTURE_SIZE = 224


ProgressCallback = Callable[[ProgressUpdate], None]


def raise_if_cancelled(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("detection was cancelled")


def analysed_range(info: MediaInfo, requested: tuple[float, float] | None) -> tuple[float, float]:
    """The part of the media to analyse: the request's range clipped to the media."""
    duration = info.duration_seconds
    if requested is None:
        return 0.0, duration
    start, end = requested
    if duration and start >= duration:
        raise RangeOutsideMedia(
            f"{info.path}: range {start:.3f}-{end:.3f} s starts after the media ends ({duration:.3f} s)"
        )
    return start, min(end, duration) if duration else end


@dataclass
class PreparedAnalysis:
    """A request checked once: its options, pack and labels, the media's facts, the range to analyse and
    the detectors to run (with the models each uses), and the warnings so far."""

    options: DetectOptions
    pack: str
    labels: list[str]  # every label asked for, resolved
    info: MediaInfo
    start: float
    end: float
    runnable: list[PlanItem]  # the plan's items whose streams exist
    analysed_labels: list[str]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0  # how long preparing took (part of the result's elapsed time)


def prepare(path: str, options: DetectOptions, models: ResidentModels) -> PreparedAnalysis:
    """Validate ``options``, resolve the pack and labels from one look at ``models``' store, probe
    ``path`` and plan the detectors.

    :raises InvalidRequest, UnknownPack, UnknownLabel: bad options (with the closest names).
    :raises MediaError, NoUsableStream, RangeOutsideMedia: media that cannot give what is asked.
    """
    started = time.perf_counter()
    options.validate()
    packs = Packs.read(models.store)
    pack = packs.check(options.pack)
    labels = packs.resolve_labels(pack, options.labels)
    info = probe(path, options.audio_stream)
    start, end = analysed_range(info, options.source_range)

    runnable = []
    missing: dict[str, list[str]] = {}  # modality -> labels that need it
    for item in packs.plan(pack, labels, rank_all=options.top > 0):
        modality = item.detector.spec.modality
        present = {"audio": info.has_audio, "video": info.has_video, "av": info.has_audio or info.has_video}
        if present[modality]:
            runnable.append(item)
        else:
            missing.setdefault(modality, []).extend(item.labels)
    warnings = list(info.warnings)
    warnings += [f"no {modality} stream: {', '.join(names)} not analysed" for modality, names in missing.items()]
    if not runnable:
        raise NoUsableStream(
            f"{info.path}: has no {'audio' if not info.has_audio else 'video'} stream, which "
            f"{', '.join(labels)} need(s)"
        )
    analysed_labels = [label for item in runnable for label in item.labels]
    for item in runnable:
        if item.detector.spec.modality == "av" and not (info.has_audio and info.has_video):
            alone = "audio" if info.has_audio else "video"
            warnings.append(
                f"no {'video' if info.has_audio else 'audio'} stream: {', '.join(item.labels)} use the "
                f"{alone} alone (attention {'1/0' if info.has_audio else '0/1'})"
            )
    return PreparedAnalysis(
        options, pack, labels, info, start, end, runnable, analysed_labels, warnings, time.perf_counter() - started
    )


def detect(
    path: str,
    options: DetectOptions,
    models: ResidentModels,
    cancel: threading.Event | None = None,
    progress: ProgressCallback | None = None,
) -> DetectResult:
    """Analyse ``path`` and return its events (``prepare`` then ``run``); raises an ``AvEventsError``
    subclass on bad input."""
    return run(prepare(path, options, models), models, cancel, progress)


def run(
    prepared: PreparedAnalysis,
    models: ResidentModels,
    cancel: threading.Event | None = None,
    progress: ProgressCallback | None = None,
) -> DetectResult:
    """Analyse a prepared request: decode once, run its detectors (or take them from the result cache),
    post-process into events."""
    started = time.perf_counter() - prepared.seconds
    report = progress or (lambda update: None)
    options, pack, info = prepared.options, prepared.pack, prepared.info
    start, end, runnable = prepared.start, prepared.end, prepared.runnable
    analysed_labels, warnings = prepared.analysed_labels, list(prepared.warnings)

    report(ProgressUpdate("loading", 0.0, 0.0, end - start, "loading models"))
    picture_fps = options.video_analysis_fps or DEFAULT_PICTURE_FPS
    cache_settings = models.settings.cache
    cache = ResultCache.configured(cache_settings) if options.use_cache and cache_settings.enabled else None
    identity = (file_identity(info.path) if cache is not None else None) or ""
    if not identity:  # a pipe, a device or a file unreadable now: analysed without the cache
        cache = None
    analyses = [
        _Analysis(item, models, info, cache, identity, (start, end), picture_fps, options.keyframes_only, options.top)
        for item in runnable
    ]
    detectors = [a.detector for a in analyses]
    to_run = [a.detector for a in analyses if a.cached is None]
    total = max(end - start, 1e-9)
    next_report = [0.0]

    def on_media_time(seconds: float) -> None:
        now = time.monotonic()
        if now >= next_report[0]:
            next_report[0] = now + 0.25
            done = seconds - start
            report(ProgressUpdate("analysing", min(done / total, 1.0) * 0.98, max(done, 0.0), total))

    run_warnings: list[str] = []
    luma, sampled_fps = False, 0.0
    if to_run:
        settings, decode_report = run_detectors(
            info, to_run, start, end, picture_fps, cancel, on_media_time, options.keyframes_only
        )
        run_warnings = decode_report.warnings + _truncation_warnings(info, decode_report, settings, end)
        if options.keyframes_only and settings.luma_thumbnails:
            run_warnings.append("key frames only was not used: scene cuts need every frame")
        luma, sampled_fps = settings.luma_thumbnails, settings.picture_fps

    report(ProgressUpdate("post-processing", 0.98, total, total))
    for analysis in analyses:
        raise_if_cancelled(cancel)  # finishing runs each detector's last inference batch
        analysis.complete(run_warnings, luma, sampled_fps)
        for warning in analysis.warnings:
            if warning not in warnings:
                warnings.append(warning)
    luma = any(a.luma_thumbnails for a in analyses)
    sampled_fps = max((a.picture_fps for a in analyses), default=0.0)
    media_key = f"{info.path}|{info.size_bytes}"
    events: list[Event] = []
    tagger_speech = next((t for a in analyses if (t := tagger_tracks(a.outputs))), None)
    for analysis in analyses:
        det = analysis.detector
        for out in analysis.outputs:
            if out.label not in analysis.wanted:
                continue
            if tagger_speech and out.label == "Speech" and "Speech" in det.spec.labels:  # Silero's
                out = gate_speech(out, *tagger_speech)
            opts = options.for_label(out.label, det.default_options(out.label))
            ranges = points_to_ranges(out, opts) if isinstance(out, PointCandidates) else track_to_ranges(out, opts)
            for r in ranges:
                s, e = max(r.start_seconds, start), min(r.end_seconds, end)
                if e <= s:
                    continue
                conf = _unit(r.confidence)
                modality = det.spec.modality
                if r.extras:  # a fused track says what each modality contributed
                    audio_c, video_c = _unit(r.extras.get("audio")), _unit(r.extras.get("video"))
                    audio_w, video_w = _unit(r.extras.get("audio_weight")), _unit(r.extras.get("video_weight"))
                    carried_by = _carrier(audio_c, video_c, audio_w)
                else:
                    audio_c = conf if modality == "audio" else None
                    video_c = conf if modality == "video" else None
                    audio_w = video_w = None
                    carried_by = modality if modality in ("audio", "video") else ""
                event = Event(
                    label=out.label,
                    start_seconds=round(s, 6),
                    end_seconds=round(e, 6),
                    confidence=conf,
                    detector=det.spec.name,
                    model=det.model,
                    audio_confidence=audio_c,
                    video_confidence=video_c,
                    audio_weight=audio_w,
                    video_weight=video_w,
                    carried_by=carried_by,
                )
                event.assign_id(media_key)
                events.append(event)
    events.sort(key=lambda e: (e.start_seconds, e.label))
    salient = []
    if options.top:
        salient = salient_labels([(a.detector, a.outputs) for a in analyses], options, start, end, options.top)
    result = DetectResult(
        media=info,
        analysed_range=(start, end),
        grid=[a.grid for a in analyses],
        events=events,
        labels=analysed_labels,
        pack=pack,
        models=sorted({ref for det in detectors for ref in det.model_refs()}),
        # Cuts look at every decoded frame; picture detectors at the picture rate.
        video_analysis_fps=float(info.frame_rate or 0) if luma else sampled_fps,
        warnings=warnings,
        elapsed_seconds=time.perf_counter() - started,
        salient=salient,
    )
    report(ProgressUpdate("done", 1.0, total, total))
    log.info("%s: %d events in %.2f s", info.path, len(events), result.elapsed_seconds)
    return result


def _carrier(audio: float | None, video: float | None, audio_weight: float | None) -> str:
    """Which modality carried a fused event: the audio is None where it is missing or silent."""
    if audio is None:
        return "video"
    if video is None or audio_weight is None or audio_weight >= 0.5:
        return "audio"
    return "audio+video"


class _Analysis:
    """One detector of a request: from the result cache when it has this file, else run and then cached.
    A cached analysis holds every label the detector can produce; ``wanted`` are the request's."""

    def __init__(
        self, item: PlanItem, models, info: MediaInfo, cache, identity: str, range_, picture_fps, keyframes_only, top
    ):
        self.wanted = set(item.labels)
        self.cache = cache
        # Cached, an analysis keeps every label its detector can produce, so a later label set is served;
        # ranking the labels present (``top``) needs them all too.
        labels = (item.producible or item.labels) if cache is not None or top else item.labels
        if item.model_names:
            self.detector = item.detector.create_for(models, info, labels, item.model_names)
        else:
            self.detector = item.detector.create(models, info)
        self.cached = None
        self.key = ""
        self.warnings: list[str] = []
        if cache is None:
            return
        spec = self.detector.spec
        params = {
            "picture_fps": picture_fps if spec.pictures else 0.0,
            "keyframes_only": bool(keyframes_only and spec.pictures),
            "audio_stream": info.audio_stream,
            "sample_rate": spec.sample_rate,
        }
        models_used = self.detector.model_refs()
        self.key = cache.key(identity, spec.name, models_used, range_, params)
        self.cached = cache.get(self.key)
        whole = (0.0, info.duration_seconds)
        if self.cached is None and tuple(range_) != whole:
            # The whole file analysed earlier covers any part of it: its events are clipped to the range.
            self.cached = cache.get(cache.key(identity, spec.name, models_used, whole, params))

    def complete(self, run_warnings: list[str], luma: bool, picture_fps: float) -> None:
        if self.cached is not None:
            self.outputs, self.grid = self.cached.outputs, self.cached.grid
            self.warnings = list(self.cached.warnings)
            self.luma_thumbnails, self.picture_fps = self.cached.luma_thumbnails, self.cached.picture_fps
            return
        self.outputs, self.grid = self.detector.finish(), self.detector.grid()
        spec = self.detector.spec
        self.warnings = list(run_warnings)
        self.luma_thumbnails = luma and spec.luma_thumbnails
        self.picture_fps = picture_fps if spec.pictures else 0.0
        if self.cache is not None:
            entry = CachedAnalysis(self.outputs, self.grid, self.warnings, self.luma_thumbnails, self.picture_fps)
            self.cache.put(self.key, entry)


def extract_features(path, models: ResidentModels, audio_encoder: str, video_encoder: str) -> SegmentFeatures:
    """The embeddings of a whole file, decoded once (``models``: the resident set that holds the encoders);
    training's input. Here, not beside the collector: a detector never drives the pipeline."""
    from .detectors.features import FeatureCollector  # the encoders' modules (torch) only when training

    info = probe(path)
    audio = models.get(audio_encoder) if info.has_audio else None
    vision = models.get(video_encoder) if info.has_video else None
    collector = FeatureCollector(
        audio, vision, models.get(audio_encoder).embedding_dim, models.get(video_encoder).embedding_dim
    )
    run_detectors(info, [collector], 0.0, info.duration_seconds)
    return collector.finish()


def run_detectors(
    info: MediaInfo,
    detectors: list[Detector],
    start: float,
    end: float,
    picture_fps: float = DEFAULT_PICTURE_FPS,
    cancel: threading.Event | None = None,
    on_media_time: Callable[[float], None] | None = None,
    keyframes_only: bool = False,
) -> tuple[DecodeSettings, DecodeReport]:
    """Decode ``info`` once between ``start`` and ``end`` with what the detectors need (audio at their
    rates, thumbnails, pictures) and feed each of them its share; ``on_media_time`` sees the media time
    reached after each item."""
    audio_by_rate: dict[int, list[Detector]] = {}
    video_detectors: list[Detector] = []
    for det in detectors:
        if det.spec.modality in ("audio", "av") and info.has_audio:
            audio_by_rate.setdefault(det.spec.sample_rate, []).append(det)
        if det.spec.modality in ("video", "av") and info.has_video:
            video_detectors.append(det)
    settings = DecodeSettings(
        audio_rates=tuple(audio_by_rate),
        luma_thumbnails=any(d.spec.luma_thumbnails for d in video_detectors),
        picture_fps=picture_fps if any(d.spec.pictures for d in video_detectors) else 0.0,
        picture_size=PICTURE_SIZE,
        picture_square=True,
        audio_stream=info.audio_stream,
        keyframes_only=keyframes_only,
    )
    decode_report = DecodeReport()
    for item in prefetched(decode(info, settings, start, end, cancel, decode_report)):
        # Checked here too, not only in the decoder: up to PREFETCH decoded items (several inference
        # batches) wait in the queue, and a cancel must not wait for them.
        raise_if_cancelled(cancel)
        if isinstance(item, AudioBlock):
            for det in audio_by_rate[item.rate]:
                det.feed_audio(item)
            reached = item.start_seconds + len(item.samples) / item.rate
        else:
            for det in video_detectors:
                det.feed_video(item)
            reached = item.time_seconds
        if on_media_time is not None:
            on_media_time(reached)
    return settings, decode_report


PREFETCH = 32  # decoded items waiting for the detectors (bounded: memory stays flat)
_END = object()


def prefetched(items, depth: int = PREFETCH):
    """``items`` produced on a thread of its own, ``depth`` ahead: decoding (PyAV) overlaps the detectors'
    inference (ONNX Runtime), both of which release the GIL. An exception of the producer is raised here;
    when the consumer stops early the producer is told to stop and waited for."""
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        queue.put(item, timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    break
        except BaseException as exc:  # handed to the consumer, raised there
            failure.append(exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # the decoder's own cleanup (its container) runs on this thread
            queue.put(_END)

    thread = threading.Thread(target=produce, name="avevents-decode", daemon=True)
    thread.start()
    try:
        while (item := queue.get()) is not _END:
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(Empty):
                queue.get(timeout=0.1)
        thread.join()
    if failure:
        raise failure[0]


def _unit(value: float | None) -> float | None:
    return None if value is None else round(min(max(value, 0.0), 1.0), 4)


def _truncation_warnings(info: MediaInfo, report: DecodeReport, settings: DecodeSettings, end: float) -> list[str]:
    """Say so when the streams stop well before the duration the container declares."""
    warnings = []
    for kind, last, wanted in (
        ("video", report.last_video_seconds, settings.luma_thumbnails or settings.picture_fps > 0),
        ("audio", report.last_audio_seconds, bool(settings.audio_rates)),
    ):
        if wanted and last is not None and last < end - TRUNCATION_TOLERANCE_SECONDS:
            warnings.append(
                f"the {kind} stops at {last:.2f} s although the file declares {info.duration_seconds:.2f} s "
                "(truncated file?); analysed what is there"
            )
    return warnings
