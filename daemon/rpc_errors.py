"""The one table from avevents' exception classes to gRPC status codes, beside the transport.

The server turns an exception into a status code, its message and the class name in the trailing
metadata (``to_grpc``); the client rebuilds the same class from them (``from_rpc_error``). Classes are
looked up by name when a status arrives, not from a table frozen at import time, so a class defined in
any module (all live in ``avevents.core.errors``) survives the trip.
"""

from __future__ import annotations

import grpc

from avevents.core import errors

ERROR_CLASS_METADATA_KEY = "avevents-error"

# Most specific first is not needed: a class takes the code of its nearest ancestor in this table.
STATUS_CODES: dict[type[errors.AvEventsError], grpc.StatusCode] = {
    errors.AvEventsError: grpc.StatusCode.INTERNAL,
    errors.InvalidRequest: grpc.StatusCode.INVALID_ARGUMENT,
    errors.RangeOutsideMedia: grpc.StatusCode.OUT_OF_RANGE,
    errors.MediaError: grpc.StatusCode.INVALID_ARGUMENT,
    errors.MediaNotFound: grpc.StatusCode.NOT_FOUND,
    errors.MediaPermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.NoUsableStream: grpc.StatusCode.FAILED_PRECONDITION,
    errors.UnknownModel: grpc.StatusCode.NOT_FOUND,
    errors.UnknownJob: grpc.StatusCode.NOT_FOUND,
    errors.ModelUnavailable: grpc.StatusCode.FAILED_PRECONDITION,
    errors.RunnerError: grpc.StatusCode.FAILED_PRECONDITION,
    errors.DownloadFailed: grpc.StatusCode.UNAVAILABLE,
    errors.QueueFull: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.Cancelled: grpc.StatusCode.CANCELLED,
    errors.DaemonUnavailable: grpc.StatusCode.UNAVAILABLE,
    errors.AlreadyRunning: grpc.StatusCode.ALREADY_EXISTS,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.UnsafeDirectory: grpc.StatusCode.FAILED_PRECONDITION,
    errors.TimelineUnreadable: grpc.StatusCode.INVALID_ARGUMENT,
    errors.InstallError: grpc.StatusCode.FAILED_PRECONDITION,
    errors.TrayUnavailable: grpc.StatusCode.FAILED_PRECONDITION,
    errors.OutputUnwritable: grpc.StatusCode.FAILED_PRECONDITION,
}

# Status codes raised by gRPC itself (no avevents class in the trailers) map to these.
_BY_BARE_CODE: dict[grpc.StatusCode, type[errors.AvEventsError]] = {
    grpc.StatusCode.UNAVAILABLE: errors.DaemonUnavailable,
    grpc.StatusCode.CANCELLED: errors.Cancelled,
    grpc.StatusCode.UNAUTHENTICATED: errors.Unauthenticated,
    grpc.StatusCode.RESOURCE_EXHAUSTED: errors.QueueFull,
    grpc.StatusCode.DEADLINE_EXCEEDED: errors.DaemonUnavailable,
}


def status_code(cls: type[errors.AvEventsError]) -> grpc.StatusCode:
    """The status code of an avevents error class: its own, else its nearest ancestor's."""
    for klass in cls.__mro__:
        if klass in STATUS_CODES:
            return STATUS_CODES[klass]
    return grpc.StatusCode.INTERNAL


def is_internal(exc: BaseException) -> bool:
    """True for failures that are avevents' own bugs (logged with a traceback), not a user's input."""
    return not isinstance(exc, errors.AvEventsError) or type(exc) is errors.AvEventsError


def to_grpc(exc: BaseException) -> tuple[grpc.StatusCode, str, tuple[tuple[str, str], ...]]:
    """Status code, message and trailing metadata for an exception raised while serving."""
    if isinstance(exc, errors.AvEventsError):
        return status_code(type(exc)), str(exc), ((ERROR_CLASS_METADATA_KEY, type(exc).__name__),)
    return grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}: {exc}", ()


def _class_named(name: str) -> type[errors.AvEventsError] | None:
    for cls in errors.all_error_classes():
        if cls.__name__ == name:
            return cls
    return None


def from_rpc_error(err: grpc.RpcError) -> errors.AvEventsError:
    """Rebuild the avevents exception a server sent (or the closest one for gRPC's own failures)."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    details = err.details() if hasattr(err, "details") else str(err)
    name = None
    trailing = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None
    for key, value in trailing or ():
        if key == ERROR_CLASS_METADATA_KEY:
            name = value
    cls = (_class_named(name) if name else None) or _BY_BARE_CODE.get(code, errors.AvEventsError)
    if cls is errors.DaemonUnavailable and name is None:
        details = f"the avevents daemon is not reachable ({details})"
    return cls(details or code.name)
