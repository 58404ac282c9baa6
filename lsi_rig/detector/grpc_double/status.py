"""DAQmx status codes as the double reports them (messages abridged from NI's)."""

from __future__ import annotations

ERROR_STRINGS = {
    -200284: "Some or all of the samples requested have not yet been acquired.",
    -200279: "The application is not able to keep up with the hardware acquisition.",
    -200278: "Attempted to read a sample beyond the final sample acquired.",
    -200361: "Onboard device memory overflow.",
    -200010: "Finite acquisition or generation has been stopped before the requested number of "
    "samples were acquired or generated.",
    -200019: "ADC conversion attempted before the prior conversion was complete.",
    -50103: "The specified resource is reserved.",
    -200088: "Task specified is invalid or does not exist.",
    -200170: "Physical channel specified does not exist on this device.",
    -200077: "Requested value is not a supported value for this property.",
}


class DaqError(Exception):
    """A DAQmx error the servicer turns into an aborted call."""

    def __init__(self, code: int, message: str | None = None, samps_read: int | None = None):
        super().__init__(message or ERROR_STRINGS.get(code, f"DAQmx error {code}"))
        self.code = code
        self.samps_read = samps_read
