"""The avevents daemon: gRPC server, job queue, media decoding, detectors and model residency."""
