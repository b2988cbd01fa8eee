"""The avevents gRPC contract: ``avevents/v1/avevents.proto`` and the Python generated from it."""
