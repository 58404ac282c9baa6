"""Turn a (possibly partial) NI-DAQmx read into a :class:`DetectorReading` with flags.

Policy for errors during a read:

* nothing arrived → raise the translated error (a timeout names the PFI lines to check);
* some samples arrived and the code is one after which they stay valid (timeout, buffer
  overwrite, FIFO overflow, ADC overrun) → keep them, NaN-fill the rest, flag PARTIAL_READ and
  put the explanation in ``messages`` (also logged);
* any other error → raise.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from lsi_rig.core.flags import RecordFlags
from lsi_rig.detector import gain_check
from lsi_rig.detector.daqmx_errors import PARTIAL_READ_CODES, translate
from lsi_rig.detector.protocol import AcquisitionMode, AcquisitionRequest, DetectorReading
from lsi_rig.detector.windows import segment_trace

if TYPE_CHECKING:
    from lsi_rig.detector.daqmx_task import ChunkedRead
    from lsi_rig.detector.nidaqmx_backend import NidaqmxDetector

log = logging.getLogger(__name__)


def _error_flags(
    det: NidaqmxDetector, result: ChunkedRead, n: int
) -> tuple[RecordFlags, list[str]]:
    if result.error is None:
        if result.samples_read < n:
            return RecordFlags.PARTIAL_READ, [f"{det._ctx.where}: read stopped early"]
        return RecordFlags.NONE, []
    err = translate(result.error, det._ctx)
    code = getattr(result.error, "error_code", None)
    if result.samples_read == 0 or code not in PARTIAL_READ_CODES:
        raise err from result.error
    message = f"{err} — kept {result.samples_read} of {n} samples, the rest are NaN"
    log.warning(message)
    return RecordFlags.PARTIAL_READ, [message]


def build_reading(
    det: NidaqmxDetector, request: AcquisitionRequest, result: ChunkedRead
) -> DetectorReading:
    n_total = result.data_v.shape[1]
    flags, messages = _error_flags(det, result, n_total)
    now = det._clock.now_s()
    t_start = max(det._arm_time_s, now - request.sequence_period_us * 1e-6)
    if det.cfg.mode is AcquisitionMode.PER_PATTERN:
        samples = result.data_v[0].copy()
        # a finite read of N samples cannot count pulses beyond N (padding patterns, glitches):
        # the sync controller's gate counts them; a clock that stopped early is a missing edge
        edges_seen: int | None = None
        if result.samples_read < request.n_patterns and flags & RecordFlags.PARTIAL_READ:
            flags |= RecordFlags.MISSING_EDGES
        trace = None
        photodiode = samples
    else:
        trigger = (
            result.data_v[1]
            if result.data_v.shape[0] > 1
            else nominal_trigger(request, det.sample_rate_hz, result.data_v.shape[1])
        )
        seg = segment_trace(
            result.data_v[0],
            trigger,
            request.n_patterns,
            settle_guard_fraction=det.cfg.settle_guard_fraction,
        )
        samples = np.asarray(seg.samples_v, dtype=np.float64)
        edges_seen = seg.n_windows  # compared with the pulses per pass by the engine
        trace = result.data_v if request.keep_trace else None
        photodiode = result.data_v[0]
    sat_flags, sat_message = gain_check.saturation_flags(
        photodiode, output_max=det._output_max_v, range_v=det.cfg.range_v
    )
    if sat_message:
        flags |= sat_flags
        messages.append(sat_message)
        gain_check.warn_once(det._warned, sat_message)
    if np.isnan(samples).any():
        flags |= RecordFlags.PARTIAL_READ
    if det._check_bandwidth(request.exposure_us):
        flags |= RecordFlags.SLOW_DETECTOR
    return DetectorReading(
        samples_v=samples,
        t_start_s=t_start,
        flags=flags,
        edges_seen=edges_seen,
        trace_v=trace,
        trace_rate_hz=det.sample_rate_hz if trace is not None else None,
        messages=tuple(messages),
    )


def nominal_trigger(request: AcquisitionRequest, rate_hz: float, n_samples: int) -> np.ndarray:
    """TRIG_OUT_1 as the DMD should emit it (no trigger channel recorded): high during each
    exposure, pattern i starting at i·period after the start trigger. Drift and dropped frames
    go unseen in this case."""
    t = np.arange(n_samples) / rate_hz
    period_s, exposure_s = request.period_us * 1e-6, request.exposure_us * 1e-6
    index = np.floor(t / period_s)
    high = (t - index * period_s < exposure_s) & (index < request.n_patterns)
    high[-1:] = False  # close the last window inside the trace
    return np.where(high, 3.3, 0.0)
