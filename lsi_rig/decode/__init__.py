"""Decoding as a service beside capture: vectors from sessions and official files, decoded off
the caller's thread, cancellable, latest-wins for live use (Qt-free). See docs/decode-service.md.
"""

from lsi_rig.decode.checks import ModelMismatchError
from lsi_rig.decode.live import LiveCounts, LiveDecoder, LiveError, LiveResult, LiveState
from lsi_rig.decode.loading import load_decoder
from lsi_rig.decode.service import DecodedVector, DecodeProgress, DecodeProvenance, DecodeService
from lsi_rig.decode.vectors import MeasurementVector, SessionVectors, session_vector_kind

__all__ = [
    "DecodeProgress",
    "DecodeProvenance",
    "DecodeService",
    "DecodedVector",
    "LiveCounts",
    "LiveDecoder",
    "LiveError",
    "LiveResult",
    "LiveState",
    "MeasurementVector",
    "ModelMismatchError",
    "SessionVectors",
    "load_decoder",
    "session_vector_kind",
]
