"""Runners execute a network behind one interface; loaders (export, engine builds) live apart."""

from .base import InputSpec, Runner, RunnerError
from .select import choose_backend, make_runner

__all__ = ["InputSpec", "Runner", "RunnerError", "choose_backend", "make_runner"]
