"""The avevents exception tree and its one mapping to gRPC status codes.

Every error a user can meet is one of these classes. The server turns them into a status code plus
the message (``to_grpc``); the client turns a status back into the same class (``from_rpc_error``), so
the CLI and the editor plugins report the same words whether detection ran in-process or in the daemon.
"""

from __future__ import annotations

import grpc

ERROR_CLASS_METADATA_KEY = "avevents-error"


class AvEventsError(Exception):
    """Base of every error avevents reports to a user."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL


class InvalidRequest(AvEventsError):
    """The request itself is malformed (bad option values, inverted range...)."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class UnknownLabel(InvalidRequest):
    """A requested label is not produced by the pack."""


class UnknownPack(InvalidRequest):
    """A requested pack does not exist."""


class RangeOutsideMedia(InvalidRequest):
    """The requested source range does not overlap the media."""

    code = grpc.StatusCode.OUT_OF_RANGE


class MediaError(AvEventsError):
    """The media file cannot be analysed."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class MediaNotFound(MediaError):
    code = grpc.StatusCode.NOT_FOUND


class MediaPermissionDenied(MediaError):
    code = grpc.StatusCode.PERMISSION_DENIED


class MediaUnreadable(MediaError):
    """Empty, not a media file, truncated beyond use, or a codec that cannot be decoded."""


class NoUsableStream(MediaError):
    """The file has neither the audio nor the video the requested labels need."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class UnknownModel(AvEventsError):
    code = grpc.StatusCode.NOT_FOUND


class UnknownJob(AvEventsError):
    code = grpc.StatusCode.NOT_FOUND


class ModelUnavailable(AvEventsError):
    """The model exists but cannot run here (files missing, extra not installed, device absent)."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class QueueFull(AvEventsError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Cancelled(AvEventsError):
    code = grpc.StatusCode.CANCELLED


class DaemonUnavailable(AvEventsError):
    """No daemon answers at the address (not running, shutting down, or unreachable)."""

    code = grpc.StatusCode.UNAVAILABLE


class AlreadyRunning(AvEventsError):
    """A daemon is already serving for this user."""

    code = grpc.StatusCode.ALREADY_EXISTS


class Unauthenticated(AvEventsError):
    code = grpc.StatusCode.UNAUTHENTICATED


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


_BY_NAME: dict[str, type[AvEventsError]] = {c.__name__: c for c in [AvEventsError, *_all_subclasses(AvEventsError)]}
# Status codes raised by gRPC itself (no avevents class in the trailers) map to these.
_BY_CODE: dict[grpc.StatusCode, type[AvEventsError]] = {
    grpc.StatusCode.UNAVAILABLE: DaemonUnavailable,
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.RESOURCE_EXHAUSTED: QueueFull,
    grpc.StatusCode.DEADLINE_EXCEEDED: DaemonUnavailable,
}


def to_grpc(exc: BaseException) -> tuple[grpc.StatusCode, str, tuple[tuple[str, str], ...]]:
    """Status code, message and trailing metadata for an exception raised while serving."""
    if isinstance(exc, AvEventsError):
        return exc.code, str(exc), ((ERROR_CLASS_METADATA_KEY, type(exc).__name__),)
    return grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}: {exc}", ()


def from_rpc_error(err: grpc.RpcError) -> AvEventsError:
    """Rebuild the avevents exception a server sent (or the closest one for gRPC's own failures)."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    details = err.details() if hasattr(err, "details") else str(err)
    name = None
    trailing = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None
    for key, value in trailing or ():
        if key == ERROR_CLASS_METADATA_KEY:
            name = value
    cls = _BY_NAME.get(name or "") or _BY_CODE.get(code, AvEventsError)
    if cls is DaemonUnavailable and name is None:
        details = f"the avevents daemon is not reachable ({details})"
    return cls(details or code.name)
