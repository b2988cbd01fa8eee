"""Which scripting calls the running Resolve has (standard library only).

On real Resolve objects ``hasattr`` is always true and a call the version lacks comes back as None
(measured on live Resolve 19.1-21.1, shared/docs/INTERFACES.md), so availability is decided by
``resolve.GetVersion()`` against the version each call first appeared in, and a None answer is treated
as "not available" too.
"""

from __future__ import annotations

INTRODUCED = {
    "GetClipEnabled": (18, 5),
    "GetSourceStartFrame": (19, 0),
    "GetSourceEndFrame": (19, 0),
    "GetMarkInOut": (19, 1),
    "GetSelectedClips": (21, 0, 4),
    "GetSpeed": (21, 1),
}
Version = tuple[int, ...]


def parse_version(value) -> Version | None:
    """Resolve's ``GetVersion()`` ([19, 1, 3, 7, ''] or '19.1.3.7') as numbers; None when unreadable."""
    parts = value.split(".") if isinstance(value, str) else list(value or [])
    numbers = []
    for part in parts:
        try:
            numbers.append(int(part))
        except (TypeError, ValueError):
            break
    return tuple(numbers) or None


def has_call(version: Version | None, name: str) -> bool:
    """Whether ``name`` exists in ``version`` (an unknown version is given the benefit of the doubt)."""
    return version is None or name not in INTRODUCED or version >= INTRODUCED[name]


def call(obj, name: str, version: Version | None, *args):
    """``obj.name(*args)``, or None where the version lacks the call (or answers None)."""
    if not has_call(version, name):
        return None
    method = getattr(obj, name, None)
    return method(*args) if callable(method) else None
