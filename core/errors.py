"""The avevents exception tree.

Every error a user can meet is one of these classes, defined here and nowhere else, so that every layer
can raise them without importing the transport. The daemon maps them to gRPC status codes in one table
(``avevents.daemon.rpc_errors``); its client turns a status back into the same class, so the CLI and the
editor plugins report the same words whether detection ran in-process or in the daemon.
"""

from __future__ import annotations


class AvEventsError(Exception):
    """Base of every error avevents reports to a user."""


class InvalidRequest(AvEventsError):
    """The request itself is malformed (bad option values, inverted range...)."""


class UnknownLabel(InvalidRequest):
    """A requested label is not produced by the pack."""


class UnknownPack(InvalidRequest):
    """A requested pack does not exist."""


class RangeOutsideMedia(InvalidRequest):
    """The requested source range does not overlap the media."""


class MediaError(AvEventsError):
    """The media file cannot be analysed."""


class MediaNotFound(MediaError):
    """No file at the path."""


class MediaPermissionDenied(MediaError):
    """The file exists but this user may not read it."""


class MediaUnreadable(MediaError):
    """Empty, not a media file, truncated beyond use, or a codec that cannot be decoded."""


class NoUsableStream(MediaError):
    """The file has neither the audio nor the video the requested labels need."""


class UnknownModel(AvEventsError):
    """No model or pack of that name in the catalogue or the store."""


class UnknownJob(AvEventsError):
    """No job with that id (finished long ago, or never started)."""


class ModelUnavailable(AvEventsError):
    """The model exists but cannot run here (files missing, extra not installed, device absent)."""


class RunnerError(AvEventsError):
    """Bad input for a network, or a backend that cannot run."""


class DownloadFailed(AvEventsError):
    """The file could not be fetched or did not match its checksum."""


class IntegrityError(ModelUnavailable):
    """A model file on disk no longer matches the checksum recorded when it was installed or exported."""


class QueueFull(AvEventsError):
    """Every job slot and queue place is taken."""


class Cancelled(AvEventsError):
    """The request was cancelled by its client or by the daemon shutting down."""


class DaemonUnavailable(AvEventsError):
    """No daemon answers at the address (not running, shutting down, or unreachable)."""


class AlreadyRunning(AvEventsError):
    """A daemon is already serving for this user."""


class Unauthenticated(AvEventsError):
    """The request did not carry this user's access token."""


class UnsafeDirectory(AvEventsError):
    """A per-user directory is owned by someone else or open to others."""


class TimelineUnreadable(AvEventsError):
    """The input is not a timeline the adapters can read (or a needed adapter is missing)."""


class InstallError(AvEventsError):
    """The scripts folder cannot be written (rights, no Resolve install for --system)."""


class TrayUnavailable(AvEventsError):
    """PySide6 is not installed."""


class OutputUnwritable(AvEventsError):
    """A result or marker file cannot be written where asked."""


def all_error_classes() -> list[type[AvEventsError]]:
    """AvEventsError and every subclass, each once (also those defined outside this module)."""
    found: list[type[AvEventsError]] = []
    pending: list[type[AvEventsError]] = [AvEventsError]
    while pending:
        cls = pending.pop()
        if cls not in found:
            found.append(cls)
            pending.extend(cls.__subclasses__())
    return found
