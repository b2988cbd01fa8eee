from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Rational(_message.Message):
    __slots__ = ("num", "den")
    NUM_FIELD_NUMBER: _ClassVar[int]
    DEN_FIELD_NUMBER: _ClassVar[int]
    num: int
    den: int
    def __init__(self, num: _Optional[int] = ..., den: _Optional[int] = ...) -> None: ...

class TimeRange(_message.Message):
    __slots__ = ("start_seconds", "end_seconds")
    START_SECONDS_FIELD_NUMBER: _ClassVar[int]
    END_SECONDS_FIELD_NUMBER: _ClassVar[int]
    start_seconds: float
    end_seconds: float
    def __init__(self, start_seconds: _Optional[float] = ..., end_seconds: _Optional[float] = ...) -> None: ...

class LabelOptions(_message.Message):
    __slots__ = ("threshold", "release_threshold", "min_event_seconds", "merge_gap_seconds")
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    RELEASE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    MIN_EVENT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MERGE_GAP_SECONDS_FIELD_NUMBER: _ClassVar[int]
    threshold: float
    release_threshold: float
    min_event_seconds: float
    merge_gap_seconds: float
    def __init__(self, threshold: _Optional[float] = ..., release_threshold: _Optional[float] = ..., min_event_seconds: _Optional[float] = ..., merge_gap_seconds: _Optional[float] = ...) -> None: ...

class DetectOptions(_message.Message):
    __slots__ = ("defaults", "per_label", "video_analysis_fps", "audio_stream", "sensitivity", "no_cache", "keyframes_only", "top")
    class PerLabelEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: LabelOptions
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[LabelOptions, _Mapping]] = ...) -> None: ...
    DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    PER_LABEL_FIELD_NUMBER: _ClassVar[int]
    VIDEO_ANALYSIS_FPS_FIELD_NUMBER: _ClassVar[int]
    AUDIO_STREAM_FIELD_NUMBER: _ClassVar[int]
    SENSITIVITY_FIELD_NUMBER: _ClassVar[int]
    NO_CACHE_FIELD_NUMBER: _ClassVar[int]
    KEYFRAMES_ONLY_FIELD_NUMBER: _ClassVar[int]
    TOP_FIELD_NUMBER: _ClassVar[int]
    defaults: LabelOptions
    per_label: _containers.MessageMap[str, LabelOptions]
    video_analysis_fps: float
    audio_stream: int
    sensitivity: float
    no_cache: bool
    keyframes_only: bool
    top: int
    def __init__(self, defaults: _Optional[_Union[LabelOptions, _Mapping]] = ..., per_label: _Optional[_Mapping[str, LabelOptions]] = ..., video_analysis_fps: _Optional[float] = ..., audio_stream: _Optional[int] = ..., sensitivity: _Optional[float] = ..., no_cache: _Optional[bool] = ..., keyframes_only: _Optional[bool] = ..., top: _Optional[int] = ...) -> None: ...

class DetectRequest(_message.Message):
    __slots__ = ("media_path", "source_range", "labels", "pack", "options")
    MEDIA_PATH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_RANGE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    PACK_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    media_path: str
    source_range: TimeRange
    labels: _containers.RepeatedScalarFieldContainer[str]
    pack: str
    options: DetectOptions
    def __init__(self, media_path: _Optional[str] = ..., source_range: _Optional[_Union[TimeRange, _Mapping]] = ..., labels: _Optional[_Iterable[str]] = ..., pack: _Optional[str] = ..., options: _Optional[_Union[DetectOptions, _Mapping]] = ...) -> None: ...

class DetectResponse(_message.Message):
    __slots__ = ("progress", "result")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    progress: Progress
    result: DetectResult
    def __init__(self, progress: _Optional[_Union[Progress, _Mapping]] = ..., result: _Optional[_Union[DetectResult, _Mapping]] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ("stage", "fraction", "media_seconds_done", "media_seconds_total", "queue_position", "message")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    MEDIA_SECONDS_DONE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_SECONDS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    stage: str
    fraction: float
    media_seconds_done: float
    media_seconds_total: float
    queue_position: int
    message: str
    def __init__(self, stage: _Optional[str] = ..., fraction: _Optional[float] = ..., media_seconds_done: _Optional[float] = ..., media_seconds_total: _Optional[float] = ..., queue_position: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("id", "label", "start_seconds", "end_seconds", "confidence", "audio_confidence", "video_confidence", "detector", "model", "audio_weight", "video_weight", "carried_by")
    ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    START_SECONDS_FIELD_NUMBER: _ClassVar[int]
    END_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    AUDIO_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    VIDEO_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    DETECTOR_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    AUDIO_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    VIDEO_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    CARRIED_BY_FIELD_NUMBER: _ClassVar[int]
    id: str
    label: str
    start_seconds: float
    end_seconds: float
    confidence: float
    audio_confidence: float
    video_confidence: float
    detector: str
    model: str
    audio_weight: float
    video_weight: float
    carried_by: str
    def __init__(self, id: _Optional[str] = ..., label: _Optional[str] = ..., start_seconds: _Optional[float] = ..., end_seconds: _Optional[float] = ..., confidence: _Optional[float] = ..., audio_confidence: _Optional[float] = ..., video_confidence: _Optional[float] = ..., detector: _Optional[str] = ..., model: _Optional[str] = ..., audio_weight: _Optional[float] = ..., video_weight: _Optional[float] = ..., carried_by: _Optional[str] = ...) -> None: ...

class MediaInfo(_message.Message):
    __slots__ = ("path", "size_bytes", "container", "duration_seconds", "origin_seconds", "has_video", "has_audio", "frame_rate", "average_frame_rate", "variable_frame_rate", "width", "height", "rotation_degrees", "video_codec", "sample_rate", "audio_channels", "audio_codec", "audio_stream_count", "audio_stream")
    PATH_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HAS_VIDEO_FIELD_NUMBER: _ClassVar[int]
    HAS_AUDIO_FIELD_NUMBER: _ClassVar[int]
    FRAME_RATE_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_FRAME_RATE_FIELD_NUMBER: _ClassVar[int]
    VARIABLE_FRAME_RATE_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ROTATION_DEGREES_FIELD_NUMBER: _ClassVar[int]
    VIDEO_CODEC_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    AUDIO_CHANNELS_FIELD_NUMBER: _ClassVar[int]
    AUDIO_CODEC_FIELD_NUMBER: _ClassVar[int]
    AUDIO_STREAM_COUNT_FIELD_NUMBER: _ClassVar[int]
    AUDIO_STREAM_FIELD_NUMBER: _ClassVar[int]
    path: str
    size_bytes: int
    container: str
    duration_seconds: float
    origin_seconds: float
    has_video: bool
    has_audio: bool
    frame_rate: Rational
    average_frame_rate: Rational
    variable_frame_rate: bool
    width: int
    height: int
    rotation_degrees: int
    video_codec: str
    sample_rate: int
    audio_channels: int
    audio_codec: str
    audio_stream_count: int
    audio_stream: int
    def __init__(self, path: _Optional[str] = ..., size_bytes: _Optional[int] = ..., container: _Optional[str] = ..., duration_seconds: _Optional[float] = ..., origin_seconds: _Optional[float] = ..., has_video: _Optional[bool] = ..., has_audio: _Optional[bool] = ..., frame_rate: _Optional[_Union[Rational, _Mapping]] = ..., average_frame_rate: _Optional[_Union[Rational, _Mapping]] = ..., variable_frame_rate: _Optional[bool] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., rotation_degrees: _Optional[int] = ..., video_codec: _Optional[str] = ..., sample_rate: _Optional[int] = ..., audio_channels: _Optional[int] = ..., audio_codec: _Optional[str] = ..., audio_stream_count: _Optional[int] = ..., audio_stream: _Optional[int] = ...) -> None: ...

class GridTrack(_message.Message):
    __slots__ = ("detector", "modality", "step_seconds", "window_seconds", "sample_rate")
    DETECTOR_FIELD_NUMBER: _ClassVar[int]
    MODALITY_FIELD_NUMBER: _ClassVar[int]
    STEP_SECONDS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    detector: str
    modality: str
    step_seconds: float
    window_seconds: float
    sample_rate: int
    def __init__(self, detector: _Optional[str] = ..., modality: _Optional[str] = ..., step_seconds: _Optional[float] = ..., window_seconds: _Optional[float] = ..., sample_rate: _Optional[int] = ...) -> None: ...

class AnalysisGrid(_message.Message):
    __slots__ = ("analysed_range", "tracks", "video_analysis_fps")
    ANALYSED_RANGE_FIELD_NUMBER: _ClassVar[int]
    TRACKS_FIELD_NUMBER: _ClassVar[int]
    VIDEO_ANALYSIS_FPS_FIELD_NUMBER: _ClassVar[int]
    analysed_range: TimeRange
    tracks: _containers.RepeatedCompositeFieldContainer[GridTrack]
    video_analysis_fps: float
    def __init__(self, analysed_range: _Optional[_Union[TimeRange, _Mapping]] = ..., tracks: _Optional[_Iterable[_Union[GridTrack, _Mapping]]] = ..., video_analysis_fps: _Optional[float] = ...) -> None: ...

class DetectResult(_message.Message):
    __slots__ = ("media", "grid", "events", "labels", "pack", "warnings", "elapsed_seconds", "models", "salient")
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    PACK_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    SALIENT_FIELD_NUMBER: _ClassVar[int]
    media: MediaInfo
    grid: AnalysisGrid
    events: _containers.RepeatedCompositeFieldContainer[Event]
    labels: _containers.RepeatedScalarFieldContainer[str]
    pack: str
    warnings: _containers.RepeatedScalarFieldContainer[str]
    elapsed_seconds: float
    models: _containers.RepeatedCompositeFieldContainer[ModelRef]
    salient: _containers.RepeatedCompositeFieldContainer[SalientLabel]
    def __init__(self, media: _Optional[_Union[MediaInfo, _Mapping]] = ..., grid: _Optional[_Union[AnalysisGrid, _Mapping]] = ..., events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ..., labels: _Optional[_Iterable[str]] = ..., pack: _Optional[str] = ..., warnings: _Optional[_Iterable[str]] = ..., elapsed_seconds: _Optional[float] = ..., models: _Optional[_Iterable[_Union[ModelRef, _Mapping]]] = ..., salient: _Optional[_Iterable[_Union[SalientLabel, _Mapping]]] = ...) -> None: ...

class SalientLabel(_message.Message):
    __slots__ = ("label", "peak", "peak_seconds", "threshold", "salience", "detector")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    PEAK_FIELD_NUMBER: _ClassVar[int]
    PEAK_SECONDS_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    SALIENCE_FIELD_NUMBER: _ClassVar[int]
    DETECTOR_FIELD_NUMBER: _ClassVar[int]
    label: str
    peak: float
    peak_seconds: float
    threshold: float
    salience: float
    detector: str
    def __init__(self, label: _Optional[str] = ..., peak: _Optional[float] = ..., peak_seconds: _Optional[float] = ..., threshold: _Optional[float] = ..., salience: _Optional[float] = ..., detector: _Optional[str] = ...) -> None: ...

class ModelRef(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Status(_message.Message):
    __slots__ = ("version", "pid", "address", "uptime_seconds", "running_jobs", "queued_jobs", "max_queued_jobs", "max_running_jobs", "loaded_models", "completed_jobs", "failed_jobs", "rss_bytes", "ready", "loading_models")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    UPTIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RUNNING_JOBS_FIELD_NUMBER: _ClassVar[int]
    QUEUED_JOBS_FIELD_NUMBER: _ClassVar[int]
    MAX_QUEUED_JOBS_FIELD_NUMBER: _ClassVar[int]
    MAX_RUNNING_JOBS_FIELD_NUMBER: _ClassVar[int]
    LOADED_MODELS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_JOBS_FIELD_NUMBER: _ClassVar[int]
    FAILED_JOBS_FIELD_NUMBER: _ClassVar[int]
    RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    LOADING_MODELS_FIELD_NUMBER: _ClassVar[int]
    version: str
    pid: int
    address: str
    uptime_seconds: float
    running_jobs: int
    queued_jobs: int
    max_queued_jobs: int
    max_running_jobs: int
    loaded_models: _containers.RepeatedCompositeFieldContainer[ModelInfo]
    completed_jobs: int
    failed_jobs: int
    rss_bytes: int
    ready: bool
    loading_models: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, version: _Optional[str] = ..., pid: _Optional[int] = ..., address: _Optional[str] = ..., uptime_seconds: _Optional[float] = ..., running_jobs: _Optional[int] = ..., queued_jobs: _Optional[int] = ..., max_queued_jobs: _Optional[int] = ..., max_running_jobs: _Optional[int] = ..., loaded_models: _Optional[_Iterable[_Union[ModelInfo, _Mapping]]] = ..., completed_jobs: _Optional[int] = ..., failed_jobs: _Optional[int] = ..., rss_bytes: _Optional[int] = ..., ready: _Optional[bool] = ..., loading_models: _Optional[_Iterable[str]] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("name", "version", "pack", "task", "labels", "available", "loaded", "device", "memory_bytes", "source", "licence", "detail", "size_bytes", "loading")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PACK_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    LOADED_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    LICENCE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    LOADING_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    pack: str
    task: str
    labels: _containers.RepeatedScalarFieldContainer[str]
    available: bool
    loaded: bool
    device: str
    memory_bytes: int
    source: str
    licence: str
    detail: str
    size_bytes: int
    loading: bool
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., pack: _Optional[str] = ..., task: _Optional[str] = ..., labels: _Optional[_Iterable[str]] = ..., available: _Optional[bool] = ..., loaded: _Optional[bool] = ..., device: _Optional[str] = ..., memory_bytes: _Optional[int] = ..., source: _Optional[str] = ..., licence: _Optional[str] = ..., detail: _Optional[str] = ..., size_bytes: _Optional[int] = ..., loading: _Optional[bool] = ...) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models", "default_pack")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_PACK_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[ModelInfo]
    default_pack: str
    def __init__(self, models: _Optional[_Iterable[_Union[ModelInfo, _Mapping]]] = ..., default_pack: _Optional[str] = ...) -> None: ...

class LoadModelRequest(_message.Message):
    __slots__ = ("name", "device")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    name: str
    device: str
    def __init__(self, name: _Optional[str] = ..., device: _Optional[str] = ...) -> None: ...

class UnloadModelRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListDevicesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Device(_message.Message):
    __slots__ = ("name", "kind", "description", "total_memory_bytes", "free_memory_bytes", "is_default")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TOTAL_MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    FREE_MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: str
    description: str
    total_memory_bytes: int
    free_memory_bytes: int
    is_default: bool
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[str] = ..., description: _Optional[str] = ..., total_memory_bytes: _Optional[int] = ..., free_memory_bytes: _Optional[int] = ..., is_default: _Optional[bool] = ...) -> None: ...

class ListDevicesResponse(_message.Message):
    __slots__ = ("devices",)
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    devices: _containers.RepeatedCompositeFieldContainer[Device]
    def __init__(self, devices: _Optional[_Iterable[_Union[Device, _Mapping]]] = ...) -> None: ...

class PullModelRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class PullProgress(_message.Message):
    __slots__ = ("file", "bytes_done", "bytes_total")
    FILE_FIELD_NUMBER: _ClassVar[int]
    BYTES_DONE_FIELD_NUMBER: _ClassVar[int]
    BYTES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    file: str
    bytes_done: int
    bytes_total: int
    def __init__(self, file: _Optional[str] = ..., bytes_done: _Optional[int] = ..., bytes_total: _Optional[int] = ...) -> None: ...

class PullModelResponse(_message.Message):
    __slots__ = ("progress", "model")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    progress: PullProgress
    model: ModelInfo
    def __init__(self, progress: _Optional[_Union[PullProgress, _Mapping]] = ..., model: _Optional[_Union[ModelInfo, _Mapping]] = ...) -> None: ...

class ImportModelRequest(_message.Message):
    __slots__ = ("name", "paths")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    name: str
    paths: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., paths: _Optional[_Iterable[str]] = ...) -> None: ...

class RemoveModelRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class SetDeviceRequest(_message.Message):
    __slots__ = ("device", "model")
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    device: str
    model: str
    def __init__(self, device: _Optional[str] = ..., model: _Optional[str] = ...) -> None: ...

class SetDeviceResponse(_message.Message):
    __slots__ = ("default_device", "models")
    DEFAULT_DEVICE_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    default_device: str
    models: _containers.RepeatedCompositeFieldContainer[ModelInfo]
    def __init__(self, default_device: _Optional[str] = ..., models: _Optional[_Iterable[_Union[ModelInfo, _Mapping]]] = ...) -> None: ...

class BuildEngineRequest(_message.Message):
    __slots__ = ("name", "device", "precision")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    PRECISION_FIELD_NUMBER: _ClassVar[int]
    name: str
    device: str
    precision: str
    def __init__(self, name: _Optional[str] = ..., device: _Optional[str] = ..., precision: _Optional[str] = ...) -> None: ...

class BuildEngineResult(_message.Message):
    __slots__ = ("onnx_path", "engine_path", "reason")
    ONNX_PATH_FIELD_NUMBER: _ClassVar[int]
    ENGINE_PATH_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    onnx_path: str
    engine_path: str
    reason: str
    def __init__(self, onnx_path: _Optional[str] = ..., engine_path: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class BuildEngineResponse(_message.Message):
    __slots__ = ("progress", "result")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    progress: str
    result: BuildEngineResult
    def __init__(self, progress: _Optional[str] = ..., result: _Optional[_Union[BuildEngineResult, _Mapping]] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Job(_message.Message):
    __slots__ = ("id", "media_path", "state", "stage", "fraction", "queue_position", "submitted_unix", "started_unix", "finished_unix", "message", "events", "pack", "labels")
    ID_FIELD_NUMBER: _ClassVar[int]
    MEDIA_PATH_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_UNIX_FIELD_NUMBER: _ClassVar[int]
    STARTED_UNIX_FIELD_NUMBER: _ClassVar[int]
    FINISHED_UNIX_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    PACK_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    id: str
    media_path: str
    state: str
    stage: str
    fraction: float
    queue_position: int
    submitted_unix: float
    started_unix: float
    finished_unix: float
    message: str
    events: int
    pack: str
    labels: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., media_path: _Optional[str] = ..., state: _Optional[str] = ..., stage: _Optional[str] = ..., fraction: _Optional[float] = ..., queue_position: _Optional[int] = ..., submitted_unix: _Optional[float] = ..., started_unix: _Optional[float] = ..., finished_unix: _Optional[float] = ..., message: _Optional[str] = ..., events: _Optional[int] = ..., pack: _Optional[str] = ..., labels: _Optional[_Iterable[str]] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs",)
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...
