"""Generated code for the ``avevents.v1`` package (committed; see ``avevents.proto.generate``)."""

from . import avevents_pb2, avevents_pb2_grpc

__all__ = ["avevents_pb2", "avevents_pb2_grpc"]
