"""The analysis engine: media decoding, detectors, post-processing, the pipeline and the resident models.

Imports models and core, never the daemon: the same engine runs behind gRPC and in-process."""
