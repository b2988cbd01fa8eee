"""Conversions between the in-process dataclasses and the ``avevents.v1`` messages, both ways."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import TYPE_CHECKING

from avevents.core.results import (
    DetectOptions,
    DetectResult,
    Event,
    GridTrack,
    LabelOptions,
    MediaInfo,
    ProgressUpdate,
    SalientLabel,
)
from avevents.proto.v1 import avevents_pb2 as pb

if TYPE_CHECKING:  # the client converts messages without importing the engine
    from avevents.engine.model_entries import ModelState


_LABEL_FIELDS = ("threshold", "release_threshold", "min_event_seconds", "merge_gap_seconds")


def _label_options_to_pb(opts: LabelOptions) -> pb.LabelOptions:
    msg = pb.LabelOptions()
    for name in _LABEL_FIELDS:
        value = getattr(opts, name)
        if value is not None:
            setattr(msg, name, value)
    return msg


def _label_options_from_pb(msg: pb.LabelOptions) -> LabelOptions:
    return LabelOptions(*(getattr(msg, n) if msg.HasField(n) else None for n in _LABEL_FIELDS))


def request_to_pb(path: str, options: DetectOptions) -> pb.DetectRequest:
    req = pb.DetectRequest(media_path=path, labels=list(options.labels), pack=options.pack)
    if options.source_range is not None:
        req.source_range.start_seconds, req.source_range.end_seconds = options.source_range
    req.options.defaults.CopyFrom(_label_options_to_pb(options.defaults))
    for label, opts in options.per_label.items():
        req.options.per_label[label].CopyFrom(_label_options_to_pb(opts))
    if options.video_analysis_fps is not None:
        req.options.video_analysis_fps = options.video_analysis_fps
    if options.audio_stream is not None:
        req.options.audio_stream = options.audio_stream
    if options.sensitivity is not None:
        req.options.sensitivity = options.sensitivity
    req.options.no_cache = not options.use_cache
    req.options.keyframes_only = options.keyframes_only
    req.options.top = options.top
    return req


def request_from_pb(req: pb.DetectRequest) -> tuple[str, DetectOptions]:
    o = req.options
    options = DetectOptions(
        labels=tuple(req.labels),
        pack=req.pack,
        source_range=(
            (req.source_range.start_seconds, req.source_range.end_seconds) if req.HasField("source_range") else None
        ),
        defaults=_label_options_from_pb(o.defaults),
        per_label={label: _label_options_from_pb(v) for label, v in o.per_label.items()},
        video_analysis_fps=o.video_analysis_fps if o.HasField("video_analysis_fps") else None,
        audio_stream=o.audio_stream if o.HasField("audio_stream") else None,
        sensitivity=o.sensitivity if o.HasField("sensitivity") else None,
        use_cache=not o.no_cache,
        keyframes_only=o.keyframes_only,
        top=o.top,
    )
    return req.media_path, options


def _rational(value: Fraction | None) -> pb.Rational | None:
    return pb.Rational(num=value.numerator, den=value.denominator) if value else None


def _fraction(msg: pb.Rational) -> Fraction | None:
    return Fraction(msg.num, msg.den) if msg.den else None


_MEDIA_SCALARS = (
    "path",
    "size_bytes",
    "container",
    "duration_seconds",
    "origin_seconds",
    "has_video",
    "has_audio",
    "variable_frame_rate",
    "width",
    "height",
    "rotation_degrees",
    "video_codec",
    "sample_rate",
    "audio_channels",
    "audio_codec",
    "audio_stream_count",
    "audio_stream",
)


def media_to_pb(info: MediaInfo) -> pb.MediaInfo:
    msg = pb.MediaInfo(**{name: getattr(info, name) for name in _MEDIA_SCALARS})
    for name in ("frame_rate", "average_frame_rate"):
        rational = _rational(getattr(info, name))
        if rational is not None:
            getattr(msg, name).CopyFrom(rational)
    return msg


def media_from_pb(msg: pb.MediaInfo) -> MediaInfo:
    info = MediaInfo(**{name: getattr(msg, name) for name in _MEDIA_SCALARS})
    info.frame_rate = _fraction(msg.frame_rate)
    info.average_frame_rate = _fraction(msg.average_frame_rate)
    return info


def progress_to_pb(update: ProgressUpdate) -> pb.Progress:
    return pb.Progress(
        stage=update.stage,
        fraction=update.fraction,
        media_seconds_done=update.media_seconds_done,
        media_seconds_total=update.media_seconds_total,
        message=update.message,
    )


def event_to_pb(event: Event) -> pb.Event:
    msg = pb.Event(
        id=event.id,
        label=event.label,
        start_seconds=event.start_seconds,
        end_seconds=event.end_seconds,
        confidence=event.confidence,
        detector=event.detector,
        model=event.model,
        carried_by=event.carried_by,
    )
    if event.audio_confidence is not None:
        msg.audio_confidence = event.audio_confidence
    if event.video_confidence is not None:
        msg.video_confidence = event.video_confidence
    if event.audio_weight is not None:
        msg.audio_weight, msg.video_weight = event.audio_weight, event.video_weight
    return msg


def event_from_pb(msg: pb.Event) -> Event:
    # float32 on the wire: round back to the precision the daemon computed.
    def conf(value: float) -> float:
        return round(value, 4)

    return Event(
        label=msg.label,
        start_seconds=msg.start_seconds,
        end_seconds=msg.end_seconds,
        confidence=conf(msg.confidence),
        detector=msg.detector,
        model=msg.model,
        audio_confidence=conf(msg.audio_confidence) if msg.HasField("audio_confidence") else None,
        video_confidence=conf(msg.video_confidence) if msg.HasField("video_confidence") else None,
        id=msg.id,
        audio_weight=conf(msg.audio_weight) if msg.HasField("audio_weight") else None,
        video_weight=conf(msg.video_weight) if msg.HasField("video_weight") else None,
        carried_by=msg.carried_by,
    )


def result_to_pb(result: DetectResult) -> pb.DetectResult:
    grid = pb.AnalysisGrid(
        analysed_range=pb.TimeRange(start_seconds=result.analysed_range[0], end_seconds=result.analysed_range[1]),
        tracks=[
            pb.GridTrack(
                detector=g.detector,
                modality=g.modality,
                step_seconds=g.step_seconds,
                window_seconds=g.window_seconds,
                sample_rate=g.sample_rate,
            )
            for g in result.grid
        ],
        video_analysis_fps=result.video_analysis_fps,
    )
    return pb.DetectResult(
        media=media_to_pb(result.media),
        grid=grid,
        events=[event_to_pb(e) for e in result.events],
        labels=result.labels,
        pack=result.pack,
        warnings=result.warnings,
        elapsed_seconds=result.elapsed_seconds,
        models=[pb.ModelRef(name=n, version=v) for n, v in result.models],
        salient=[pb.SalientLabel(**dataclasses.asdict(x)) for x in result.salient],
    )


def result_from_pb(msg: pb.DetectResult) -> DetectResult:
    return DetectResult(
        media=media_from_pb(msg.media),
        analysed_range=(msg.grid.analysed_range.start_seconds, msg.grid.analysed_range.end_seconds),
        grid=[
            GridTrack(t.detector, t.modality, t.step_seconds, t.window_seconds, t.sample_rate) for t in msg.grid.tracks
        ],
        events=[event_from_pb(e) for e in msg.events],
        labels=list(msg.labels),
        pack=msg.pack,
        models=[(m.name, m.version) for m in msg.models],
        video_analysis_fps=msg.grid.video_analysis_fps,
        warnings=list(msg.warnings),
        elapsed_seconds=msg.elapsed_seconds,
        salient=[_salient_from_pb(x) for x in msg.salient],
    )


def _salient_from_pb(msg: pb.SalientLabel) -> SalientLabel:
    return SalientLabel(**{f.name: getattr(msg, f.name) for f in dataclasses.fields(SalientLabel)})


def model_to_pb(state: ModelState) -> pb.ModelInfo:
    e = state.entry
    return pb.ModelInfo(
        name=e.name,
        version=e.version,
        pack=e.pack,
        task=e.task,
        labels=list(e.labels),
        available=state.available,
        loaded=state.loaded,
        device=state.device,
        memory_bytes=state.memory_bytes,
        source=e.source,
        licence=e.licence,
        detail=state.detail,
        size_bytes=state.size_bytes if e.resident and state.available else 0,
        loading=state.loading,
    )


def job_to_pb(record) -> pb.Job:
    return pb.Job(
        id=record.id,
        media_path=record.media_path,
        state=record.state,
        stage=record.stage,
        fraction=record.fraction,
        queue_position=record.queue_position,
        submitted_unix=record.submitted,
        started_unix=record.started,
        finished_unix=record.finished,
        message=record.message,
        events=record.events,
        pack=record.pack,
        labels=list(record.labels),
    )
