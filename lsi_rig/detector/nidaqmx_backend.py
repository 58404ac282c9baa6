"""PDA100A2 read through an NI DAQ with nidaqmx (local NI-DAQmx driver or NI gRPC Device Server).

Two hardware-timed modes (hardware.md §4.1):

* PER_PATTERN — the DAQ's sample clock is TRIG_OUT_1 on a PFI line, falling edge (end of each
  pattern's exposure); finite N samples; start trigger on TRIG_OUT_2 so that sample 0 is
  pattern 0 of the next pass (arming mid-pass would otherwise rotate the vector).
* OVERSAMPLED — start trigger TRIG_OUT_2, internal clock, photodiode and TRIG_OUT_1 on two AI
  channels; the trace is cut into per-pattern windows by TRIG_OUT_1 and averaged
  (``lsi_rig.detector.windows.segment_trace``), so dropped or extra edges are visible.

``create(cfg, ctx)`` is the backend factory. With ``cfg.grpc.address == "emulator"`` the address
comes from ``ctx.endpoints["daq_grpc_address"]`` (the DAQ double started with the rig) and the
operator's gain/range are pushed to the simulated world.
"""

from __future__ import annotations

import logging
from typing import Any

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.clock import Clock
from lsi_rig.core.errors import ConfigError, DeviceError
from lsi_rig.detector import daqmx_task as dt
from lsi_rig.detector import gain_check
from lsi_rig.detector.config import MAX_TRACE_SAMPLES, NidaqmxConfig
from lsi_rig.detector.daqmx_errors import DaqContext, translate
from lsi_rig.detector.daqmx_reading import build_reading
from lsi_rig.detector.protocol import AcquisitionMode, AcquisitionRequest, DetectorReading

log = logging.getLogger(__name__)

#: TRIG_OUT_1 is a 0/3.3 V logic signal; the trigger channel needs no more than this range.
TRIGGER_RANGE_V = 5.0


def _terminal(device: str, name: str) -> str:
    return name if name.startswith("/") else f"/{device}/{name}"


class NidaqmxDetector:
    """The :class:`~lsi_rig.detector.protocol.Detector` for a PDA100A2 on an NI DAQ."""

    def __init__(
        self,
        cfg: NidaqmxConfig,
        *,
        clock: Clock,
        grpc_address: str | None = None,
        rig_world: Any | None = None,
    ) -> None:
        self.cfg = cfg
        self._clock = clock
        self._address = grpc_address
        self._bandwidth = gain_check.bandwidth_table(rig_world)
        self._output_max_v = gain_check.output_max_v(rig_world)
        if cfg.gain_db not in self._bandwidth:
            raise ConfigError(
                f"devices.detector.gain_db: {cfg.gain_db} dB has no bandwidth entry; "
                f"known gains {sorted(self._bandwidth)}"
            )
        per_pattern = cfg.mode is AcquisitionMode.PER_PATTERN
        self._ctx = DaqContext(
            device=cfg.device,
            sample_clock_terminal=_terminal(cfg.device, cfg.sample_clock_terminal)
            if per_pattern
            else None,
            start_trigger_terminal=_terminal(cfg.device, cfg.start_trigger_terminal)
            if (cfg.use_start_trigger or not per_pattern)
            else None,
            address=grpc_address,
        )
        self._options: Any | None = None
        self._task: Any | None = None
        self._task_key: tuple[Any, ...] | None = None
        self._request: AcquisitionRequest | None = None
        self._arm_time_s = 0.0
        self._warned: set[str] = set()
        try:
            if grpc_address is not None:
                grpc_cfg = cfg.grpc
                self._options = dt.grpc_options(
                    grpc_address,
                    grpc_cfg.session_name if grpc_cfg else "",
                    grpc_cfg.api_key if grpc_cfg else None,
                    grpc_cfg.call_timeout_s if grpc_cfg else 10.0,
                )
            self.caps = dt.device_caps(cfg.device, self._options)
            self.sample_rate_hz = self._choose_rate()
            self._check_range()
        except Exception as exc:
            self.close()
            raise translate(exc, self._ctx) from exc

    # ---- Detector protocol ---------------------------------------------------------------
    @property
    def gain_db(self) -> float:
        return self.cfg.gain_db

    @property
    def range_v(self) -> float:
        return self.cfg.range_v

    @property
    def mode(self) -> AcquisitionMode:
        return self.cfg.mode

    def describe(self) -> dict[str, Any]:
        c = self.cfg
        return {
            "model": "Thorlabs PDA100A2 via NI-DAQmx",
            "backend": "nidaqmx",
            "transport": f"grpc {self._address}" if self._address else "local NI-DAQmx driver",
            "device": c.device,
            "gain_db": c.gain_db,
            "bandwidth_hz": self._bandwidth[c.gain_db],
            "range_v": c.range_v,
            "mode": str(c.mode),
            "ai_channel": f"{c.device}/{c.ai_channel}",
            "trigger_ai_channel": f"{c.device}/{c.trigger_ai_channel}"
            if c.trigger_ai_channel
            else None,
            "terminal_config": c.terminal_config,
            "sample_clock_terminal": _terminal(c.device, c.sample_clock_terminal),
            "start_trigger_terminal": _terminal(c.device, c.start_trigger_terminal),
            "use_start_trigger": c.use_start_trigger,
            "sample_rate_hz": self.sample_rate_hz,
            "settle_guard_fraction": c.settle_guard_fraction,
            "device_max_single_chan_rate_hz": self.caps.max_single_chan_rate_hz,
            "device_max_multi_chan_rate_hz": self.caps.max_multi_chan_rate_hz,
            "device_ai_ranges_v": list(self.caps.ai_ranges_v) if self.caps.ai_ranges_v else None,
            "output_max_v": self._output_max_v,
        }

    def arm(self, request: AcquisitionRequest) -> None:
        """Configure (if changed) and start the task; the start trigger waits for TRIG_OUT_2."""
        self._check_bandwidth(request.exposure_us)
        key = self._key(request)  # refuses an unbounded trace before anything is allocated
        try:
            if self._task is None or key != self._task_key:
                self._close_task()
                self._task = self._build_task(request)
                self._task_key = key
            self._task.start()
        except Exception as exc:
            self._close_task()
            raise translate(exc, self._ctx) from exc
        self._request = request
        self._arm_time_s = self._clock.now_s()

    def read(self) -> DetectorReading:
        if self._request is None or self._task is None:
            raise DeviceError(f"{self._ctx.where}: read() without arm()")
        request, self._request = self._request, None
        n_chan, n = self._shape(request)
        chunk = max(1, round(self.cfg.read_chunk_s * self._rate_for(request)))
        result = dt.read_chunked(
            self._task, n_chan, n, timeout_s=request.timeout_s, chunk=chunk, clock=self._clock
        )
        try:
            self._task.stop()
        except Exception as exc:
            log.warning("stopping the DAQ task failed: %s", translate(exc, self._ctx))
        return self._reading(request, result)

    def close(self) -> None:
        self._close_task()
        dt.close_grpc_channel(self._options)
        self._options = None

    # ---- helpers -------------------------------------------------------------------------
    def _choose_rate(self) -> float:
        """Configured rate if given, else the device's max per-channel rate (or the default)."""
        c = self.cfg
        n_chan = 2 if c.trigger_ai_channel else 1
        device_max = self.caps.max_rate_per_channel_hz(n_chan)
        explicit = "sample_rate_hz" in c.model_fields_set
        rate = c.sample_rate_hz if explicit or device_max is None else device_max
        if device_max is not None and rate > device_max:
            msg = (
                f"devices.detector.sample_rate_hz {rate:g} Hz exceeds {c.device}'s maximum "
                f"{device_max:g} Hz per channel with {n_chan} channel(s); using the maximum"
            )
            gain_check.warn_once(self._warned, msg)
            rate = device_max
        return float(rate)

    def _check_range(self) -> None:
        ranges = self.caps.ai_ranges_v
        if ranges and self.cfg.range_v > max(ranges):
            raise ConfigError(
                f"devices.detector.range_v {self.cfg.range_v} V exceeds {self.cfg.device}'s "
                f"largest AI range ±{max(ranges)} V"
            )

    def _check_bandwidth(self, exposure_us: float) -> bool:
        check = gain_check.check_bandwidth(self.cfg.gain_db, exposure_us, self._bandwidth)
        if check.slow:
            gain_check.warn_once(self._warned, check.message)
        return check.slow

    def _rate_for(self, request: AcquisitionRequest) -> float:
        if self.cfg.mode is AcquisitionMode.PER_PATTERN:
            return 1e6 / request.period_us
        return self.sample_rate_hz

    def _shape(self, request: AcquisitionRequest) -> tuple[int, int]:
        if self.cfg.mode is AcquisitionMode.PER_PATTERN:
            return 1, request.n_patterns
        n_chan = 2 if self.cfg.trigger_ai_channel else 1
        return n_chan, oversampled_samples(request, self.sample_rate_hz)

    def _key(self, request: AcquisitionRequest) -> tuple[Any, ...]:
        return (self._shape(request), self._rate_for(request))

    def _build_task(self, request: AcquisitionRequest) -> Any:
        c = self.cfg
        name = c.grpc.session_name if (c.grpc and self._options is not None) else ""
        task = dt.open_task(name, self._options)
        try:
            dt.add_channels(task, [f"{c.device}/{c.ai_channel}"], c.terminal_config, c.range_v)
            start = _terminal(c.device, c.start_trigger_terminal)
            n_chan, n = self._shape(request)
            if c.mode is AcquisitionMode.PER_PATTERN:
                dt.configure_per_pattern(
                    task,
                    clock_terminal=_terminal(c.device, c.sample_clock_terminal),
                    start_terminal=start if c.use_start_trigger else None,
                    n=n,
                    rate_hint_hz=self._rate_for(request),
                )
            else:
                if n_chan == 2:
                    dt.add_channels(
                        task, [f"{c.device}/{c.trigger_ai_channel}"], c.terminal_config,
                        TRIGGER_RANGE_V,
                    )  # fmt: skip
                dt.configure_oversampled(
                    task, start_terminal=start, n=n, rate_hz=self.sample_rate_hz
                )
        except BaseException:
            task.close()
            raise
        return task

    def _close_task(self) -> None:
        task, self._task, self._task_key = self._task, None, None
        if task is not None:
            try:
                task.close()
            except Exception as exc:
                log.warning("closing the DAQ task failed: %s", exc)

    def _reading(self, request: AcquisitionRequest, result: dt.ChunkedRead) -> DetectorReading:
        return build_reading(self, request, result)


def oversampled_samples(request: AcquisitionRequest, rate_hz: float) -> int:
    """Samples per channel covering one pass (the sequence period), as the sim detector does;
    bounded by :data:`~lsi_rig.detector.config.MAX_TRACE_SAMPLES` (refused before allocating)."""
    n = max(2, round(request.sequence_period_us * 1e-6 * rate_hz))
    if n > MAX_TRACE_SAMPLES:
        raise ConfigError(
            f"devices.detector: an oversampled pass of {request.sequence_period_us * 1e-6:g} s "
            f"at {rate_hz:g} S/s is {n} samples per channel (limit {MAX_TRACE_SAMPLES}); lower "
            "sample_rate_hz or the pattern exposure, or use mode per_pattern"
        )
    return n


def create(cfg: NidaqmxConfig, ctx: BackendContext) -> NidaqmxDetector:
    """Backend factory (``lsi_rig.rig.backends``)."""
    address: str | None = None
    if cfg.grpc is not None:
        address = cfg.grpc.address
        if address == "emulator":
            try:
                address = str(ctx.endpoints["daq_grpc_address"])
            except KeyError:
                raise ConfigError(
                    'devices.detector.grpc.address is "emulator" but no DAQ double runs: '
                    "enable emulators.daq_grpc in the rig config"
                ) from None
    if ctx.world is not None:
        ctx.world.set_detector(gain_db=cfg.gain_db, range_v=cfg.range_v)
    rig_world = getattr(ctx.rig, "world", None)
    return NidaqmxDetector(cfg, clock=ctx.clock, grpc_address=address, rig_world=rig_world)


__all__ = ["NidaqmxDetector", "create", "oversampled_samples"]
