"""NI-DAQmx task plumbing for the PDA100A2: session, channels, timing, chunked reads.

Only calls whose RPCs are in hardware.md §4.3's table are used in the main flow (CreateTask,
CreateAIVoltageChan, CfgSampClkTiming, CfgDigEdgeStartTrig, StartTask, ReadAnalogF64, StopTask,
ClearTask), so any NI gRPC Device Server — or a minimal double — serves it. Device capability
queries are optional and degrade to None when the server answers UNIMPLEMENTED or the driver
refuses.

Reads go through ``AnalogMultiChannelReader`` into a caller-owned array, in chunks: DAQmx
consumes the samples it returns, and NI's gRPC server drops the data of a failed read, so
chunking keeps every sample that reached the host before a timeout or overflow.

Imports nidaqmx: load only when the nidaqmx backend is chosen.
"""

from __future__ import annotations

import collections
import logging
from dataclasses import dataclass
from typing import Any

import grpc
import nidaqmx
import nidaqmx.errors
import numpy as np
from nidaqmx.constants import AcquisitionType, Edge, TerminalConfiguration, VoltageUnits
from nidaqmx.stream_readers import AnalogMultiChannelReader

from lsi_rig.core.clock import Clock

log = logging.getLogger(__name__)

TERMINAL_CONFIG = {
    "default": TerminalConfiguration.DEFAULT,
    "rse": TerminalConfiguration.RSE,
    "nrse": TerminalConfiguration.NRSE,
    "diff": TerminalConfiguration.DIFF,
    "pseudo_diff": TerminalConfiguration.PSEUDO_DIFF,
}


@dataclass(frozen=True)
class DeviceCaps:
    """What the device says about itself (None: the server/driver would not tell)."""

    max_single_chan_rate_hz: float | None = None
    max_multi_chan_rate_hz: float | None = None
    ai_ranges_v: tuple[float, ...] | None = None

    def max_rate_per_channel_hz(self, n_channels: int) -> float | None:
        """DAQmx rule: min(single-channel max, multi-channel max / channels)."""
        if n_channels <= 1:
            return self.max_single_chan_rate_hz or self.max_multi_chan_rate_hz
        if self.max_multi_chan_rate_hz is None:
            return None
        return self.max_multi_chan_rate_hz / n_channels


@dataclass
class ChunkedRead:
    """Samples [channels, n] (NaN where nothing arrived), how many arrived, and the error."""

    data_v: np.ndarray
    samples_read: int
    error: BaseException | None = None


class _CallDetails(
    collections.namedtuple(
        "_CallDetails",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,  # type: ignore[misc]
):
    """Call details with a deadline (grpc's own class cannot be instantiated)."""


class DeadlineInterceptor(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Every unary RPC gets a deadline, so a server that stops answering raises
    DEADLINE_EXCEEDED instead of blocking forever (nidaqmx sets none). A read's deadline is its
    own DAQmx timeout plus ``call_timeout_s``."""

    def __init__(self, call_timeout_s: float) -> None:
        self.call_timeout_s = call_timeout_s

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        read_timeout = float(getattr(request, "timeout", 0.0) or 0.0)
        timeout = self.call_timeout_s + max(0.0, read_timeout)
        if details.timeout is None or details.timeout > timeout:
            details = _CallDetails(
                details.method,
                timeout,
                details.metadata,
                details.credentials,
                getattr(details, "wait_for_ready", None),
                getattr(details, "compression", None),
            )
        return continuation(details, request)


def grpc_options(
    address: str, session_name: str, api_key: str | None, call_timeout_s: float = 10.0
) -> Any:
    interceptor = DeadlineInterceptor(call_timeout_s)
    channel = grpc.intercept_channel(grpc.insecure_channel(address), interceptor)
    kwargs: dict[str, Any] = {}
    if api_key:
        kwargs["api_key"] = api_key
    return nidaqmx.GrpcSessionOptions(channel, session_name, **kwargs)


def open_task(task_name: str, options: Any | None) -> Any:
    """A new task on the local driver (options None) or an NI gRPC Device Server."""
    if options is None:
        return nidaqmx.Task(new_task_name=task_name)
    return nidaqmx.Task(new_task_name=task_name, grpc_options=options)


def close_grpc_channel(options: Any | None) -> None:
    if options is not None:
        options.grpc_channel.close()


def _optional(read: Any, what: str) -> Any:
    """An optional attribute: None when the server/driver does not support it. An unreachable
    server or a missing driver still raises: that is not "unsupported"."""
    try:
        return read()
    except nidaqmx.errors.RpcError as exc:
        if exc.rpc_code == grpc.StatusCode.UNAVAILABLE:
            raise
        log.info("DAQ server does not report %s (%s); using configured defaults", what, exc)
    except (nidaqmx.errors.DaqError, NotImplementedError) as exc:
        log.info("DAQ does not report %s (%s); using configured defaults", what, exc)
    return None


def device_caps(device: str, options: Any | None) -> DeviceCaps:
    """Query AI rate limits and ranges; every attribute is optional (hardware.md §4.3's table
    does not include them, so a minimal server answers UNIMPLEMENTED)."""
    dev = nidaqmx.system.Device(device, grpc_options=options)
    single = _optional(lambda: dev.ai_max_single_chan_rate, "AI max single-channel rate")
    multi = _optional(lambda: dev.ai_max_multi_chan_rate, "AI max multi-channel rate")
    ranges = _optional(lambda: dev.ai_voltage_rngs, "AI voltage ranges")
    highs = tuple(sorted({abs(float(v)) for v in ranges[1::2]})) if ranges else None
    return DeviceCaps(
        max_single_chan_rate_hz=float(single) if single else None,
        max_multi_chan_rate_hz=float(multi) if multi else None,
        ai_ranges_v=highs or None,
    )


def add_channels(
    task: Any, physical_channels: list[str], terminal_config: str, range_v: float
) -> None:
    for physical in physical_channels:
        task.ai_channels.add_ai_voltage_chan(
            physical,
            terminal_config=TERMINAL_CONFIG[terminal_config],
            min_val=-range_v,
            max_val=range_v,
            units=VoltageUnits.VOLTS,
        )


def configure_per_pattern(
    task: Any, *, clock_terminal: str, start_terminal: str | None, n: int, rate_hint_hz: float
) -> None:
    """One sample per TRIG_OUT_1 falling edge (end of exposure), finite ``n`` samples.

    With a start trigger on TRIG_OUT_2 the first sample is pattern 0 of the next pass; without
    it, the first falling edge after start — only right if the DMD is started after arming.
    """
    task.timing.cfg_samp_clk_timing(
        rate_hint_hz,
        source=clock_terminal,
        active_edge=Edge.FALLING,
        sample_mode=AcquisitionType.FINITE,
        samps_per_chan=max(n, 2),  # DAQmx finite acquisitions need at least 2 samples
    )
    if start_terminal:
        task.triggers.start_trigger.cfg_dig_edge_start_trig(start_terminal, Edge.RISING)


def configure_oversampled(task: Any, *, start_terminal: str, n: int, rate_hz: float) -> None:
    """Internal clock at ``rate_hz``, ``n`` samples per channel from the TRIG_OUT_2 edge."""
    task.timing.cfg_samp_clk_timing(
        rate_hz, sample_mode=AcquisitionType.FINITE, samps_per_chan=max(n, 2)
    )
    task.triggers.start_trigger.cfg_dig_edge_start_trig(start_terminal, Edge.RISING)


def read_chunked(
    task: Any, n_channels: int, n: int, *, timeout_s: float, chunk: int, clock: Clock
) -> ChunkedRead:
    """Read ``n`` samples per channel in chunks within ``timeout_s`` of ``clock``.

    A failed chunk keeps the samples it delivered (when the server returns them) and stops the
    read; the remainder stays NaN.
    """
    reader = AnalogMultiChannelReader(task.in_stream)
    reader.verify_array_shape = False  # avoids an attribute RPC per read
    out = np.full((n_channels, n), np.nan)
    deadline = clock.now_s() + timeout_s
    pos = 0
    while pos < n:
        m = min(chunk, n - pos)
        buf = np.full((n_channels, m), np.nan)
        remaining = max(0.0, deadline - clock.now_s())
        try:
            got = reader.read_many_sample(buf, m, timeout=remaining)
        except nidaqmx.errors.DaqReadError as exc:
            k = max(0, min(int(exc.samps_per_chan_read or 0), m))
            arrived = buf.ravel()[: n_channels * k]
            if not np.isfinite(arrived).all():
                k = 0  # the server reported them but did not send them (NI server style)
            else:
                out[:, pos : pos + k] = arrived.reshape(n_channels, k)
            return ChunkedRead(out, pos + k, exc)
        except nidaqmx.errors.Error as exc:
            return ChunkedRead(out, pos, exc)
        out[:, pos : pos + got] = buf[:, :got]
        pos += got
        if got < m:  # should not happen without an error; avoid spinning
            break
    return ChunkedRead(out, pos, None)
