"""Shared basics every layer may import: the error tree, result types, per-user paths, settings.

Nothing here imports grpc, PyAV, torch or any other avevents package (tests/test_layers.py checks).
"""
