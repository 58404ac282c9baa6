"""Translate nidaqmx exceptions into lsi-rig errors that say what to check on the bench.

DAQmx error codes are precise but cryptic (hardware.md §4.2). The operator needs to know which
wire, which setting or which program is at fault, so each known code gets a sentence naming the
terminal, device or address involved. Unknown codes keep NI's own message and code.

nidaqmx is only imported inside :func:`translate`, so this module loads without it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsi_rig.core.errors import DeviceError, DeviceNotFoundError, DeviceTimeoutError

SAMPLES_NOT_YET_AVAILABLE = -200284
SAMPLES_NO_LONGER_AVAILABLE = -200279
SAMPLES_WILL_NEVER_BE_AVAILABLE = -200278
INPUT_FIFO_OVERFLOW = -200010
INPUT_FIFO_OVERFLOW_2 = -200361
ADC_OVERRUN = -200019
OPERATION_TIMED_OUT = -200474
DEV_CANNOT_BE_ACCESSED = -201003
PAL_RESOURCE_RESERVED = -50103

#: Codes after which the samples that did arrive are still valid (the acquisition merely stopped
#: delivering): the detector keeps them and NaN-fills the rest.
PARTIAL_READ_CODES = frozenset(
    {SAMPLES_NOT_YET_AVAILABLE, SAMPLES_NO_LONGER_AVAILABLE, INPUT_FIFO_OVERFLOW,
     INPUT_FIFO_OVERFLOW_2, ADC_OVERRUN, SAMPLES_WILL_NEVER_BE_AVAILABLE}
)  # fmt: skip


@dataclass(frozen=True)
class DaqContext:
    """Names the error messages refer to."""

    device: str
    sample_clock_terminal: str | None  # TRIG_OUT_1, per-pattern mode
    start_trigger_terminal: str | None  # TRIG_OUT_2
    address: str | None  # gRPC server, None for the local driver

    @property
    def where(self) -> str:
        return f"NI DAQ {self.device}" + (f" via gRPC {self.address}" if self.address else "")

    def wiring_hint(self) -> str:
        parts = []
        if self.sample_clock_terminal:
            parts.append(f"TRIG_OUT_1 → {self.sample_clock_terminal}")
        if self.start_trigger_terminal:
            parts.append(f"TRIG_OUT_2 → {self.start_trigger_terminal}")
        wired = " and ".join(parts) if parts else "the trigger lines"
        return f"check wiring ({wired}) and that the DMD runs its sequence"


def message_for_code(code: int, ctx: DaqContext) -> tuple[type[DeviceError], str]:
    """The error class and a bench-level explanation for a DAQmx error code."""
    where = ctx.where
    if code == SAMPLES_NOT_YET_AVAILABLE:
        edges = " or ".join(
            t
            for t in (
                f"TRIG_OUT_1 edges reached {ctx.sample_clock_terminal}"
                if ctx.sample_clock_terminal
                else "",
                f"TRIG_OUT_2 edge reached {ctx.start_trigger_terminal}"
                if ctx.start_trigger_terminal
                else "",
            )
            if t
        )
        return DeviceTimeoutError, (
            f"{where}: read timed out (DAQmx -200284): no {edges or 'trigger edges arrived'}"
            f" in time — {ctx.wiring_hint()}"
        )
    if code == SAMPLES_NO_LONGER_AVAILABLE:
        return DeviceError, (
            f"{where}: the DAQ buffer was overwritten before the samples were read (DAQmx "
            "-200279) — the host read too late; shorten the acquisition, read sooner or enlarge "
            "the buffer"
        )
    if code in (INPUT_FIFO_OVERFLOW, INPUT_FIFO_OVERFLOW_2):
        return DeviceError, (
            f"{where}: the device's input FIFO overflowed (DAQmx {code}) — the sample rate is "
            "too high for the bus (USB); lower sample_rate_hz or use fewer channels"
        )
    if code == ADC_OVERRUN:
        return DeviceError, (
            f"{where}: ADC overrun (DAQmx -200019) — the external sample clock "
            f"({ctx.sample_clock_terminal or 'TRIG_OUT_1'}) ticks faster than the ADC converts; "
            "lengthen the DMD pattern period or use the oversampled mode"
        )
    if code == PAL_RESOURCE_RESERVED:
        return DeviceError, (
            f"{where}: the device is reserved by another task or program (DAQmx -50103) — close "
            "NI MAX test panels or other acquisition programs, or reset the device"
        )
    if code == DEV_CANNOT_BE_ACCESSED:
        return DeviceNotFoundError, (
            f"{where}: the device cannot be accessed (DAQmx -201003) — check that it is "
            "connected and powered, and its name in NI MAX"
        )
    if code in (OPERATION_TIMED_OUT, SAMPLES_WILL_NEVER_BE_AVAILABLE):
        return DeviceTimeoutError, f"{where}: DAQmx {code}: acquisition did not complete"
    return DeviceError, f"{where}: DAQmx error {code}"


def translate(exc: BaseException, ctx: DaqContext) -> DeviceError:
    """Map an exception raised by nidaqmx (or grpc) to a DeviceError with a clear message."""
    import nidaqmx.errors as nerr

    if isinstance(exc, DeviceError):
        return exc
    if isinstance(exc, nerr.DaqNotFoundError):
        return DeviceNotFoundError(
            f"NI-DAQmx driver not found for device {ctx.device} ({exc}): install NI-DAQmx on "
            "this computer, or set devices.detector.grpc.address to an NI gRPC Device Server"
        )
    if isinstance(exc, nerr.RpcError):
        import grpc

        if exc.rpc_code == grpc.StatusCode.UNAVAILABLE:
            return DeviceNotFoundError(
                f"NI gRPC Device Server at {ctx.address} is unreachable ({exc.description}): "
                "start the server or correct devices.detector.grpc.address"
            )
        if exc.rpc_code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return DeviceTimeoutError(
                f"NI gRPC Device Server at {ctx.address} did not answer in time (gRPC deadline "
                "exceeded): the server or the DAQ hangs; restart it, or raise "
                "devices.detector.grpc.call_timeout_s"
            )
        if exc.rpc_code == grpc.StatusCode.UNIMPLEMENTED:
            return DeviceError(
                f"NI gRPC Device Server at {ctx.address} does not implement an operation lsi-rig "
                "needs: upgrade the server"
            )
        return DeviceError(f"NI gRPC Device Server at {ctx.address}: {exc.rpc_code}: {exc}")
    if isinstance(exc, nerr.DaqError):
        cls, message = message_for_code(int(exc.error_code), ctx)
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        detail = f" [NI: {first_line}]" if first_line else ""
        return cls(message + detail)
    return DeviceError(f"{ctx.where}: {type(exc).__name__}: {exc}")
