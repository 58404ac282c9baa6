"""What the engine does when a record cannot be measured: retry, skip, pause or fail.

Transient faults are those a second try usually cures: a DAQ read that timed out or came back
partial, a USB transfer that timed out. They are retried ``retries`` times; then the policy says
whether the record is skipped (logged, listed in the summary), the capture pauses for the
operator, or the run fails. Every other device error is fatal: the run ends ``failed`` with the
device's own one-line message.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsi_rig.core.errors import DeviceError, DeviceTimeoutError
from lsi_rig.core.flags import RecordFlags
from lsi_rig.core.policy import OnExhausted

__all__ = ["TRANSIENT_FLAGS", "ErrorPolicy", "OnExhausted", "is_transient"]


#: Record flags that make a record a transient failure rather than data.
TRANSIENT_FLAGS = RecordFlags.PARTIAL_READ

MAX_RETRIES = 100


@dataclass(frozen=True)
class ErrorPolicy:
    """``retries`` extra attempts per record for transient faults, then ``on_exhausted``."""

    retries: int = 2
    on_exhausted: OnExhausted = OnExhausted.SKIP

    def __post_init__(self) -> None:
        if not 0 <= self.retries <= MAX_RETRIES:
            raise ValueError(f"retries must be within 0..{MAX_RETRIES}, got {self.retries}")
        object.__setattr__(self, "on_exhausted", OnExhausted(self.on_exhausted))


def is_transient(exc: BaseException) -> bool:
    """Timeouts are worth another try; other device errors (not found, refused, NACK,
    disconnected, video unlocked) are not."""
    return isinstance(exc, DeviceTimeoutError) or (
        isinstance(exc, DeviceError) and bool(getattr(exc, "transient", False))
    )
