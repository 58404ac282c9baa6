"""State of the NI-DAQmx test double: bench wiring, tasks, injected faults.

The double is an NI gRPC Device Server that owns one simulated DAQ. Which world signal reaches
which terminal is the bench wiring (:class:`Wiring`); a task only ever sees the signals wired to
the terminals it names, so a backend configured for the wrong PFI line times out exactly as it
would on the bench.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

#: Raw DAQmx enum values (hardware.md §4.2).
EDGE_RISING = 10280
EDGE_FALLING = 10171
ACQ_FINITE = 10178
ACQ_CONTINUOUS = 10123
CHAN_TYPE_AI = 10100
AI_MEAS_VOLTAGE = 10322
READ_ALL_AVAILABLE = -1


@dataclass(frozen=True)
class Wiring:
    """Bench wiring of the emulated DAQ: terminal → world signal.

    World signals: ``photodiode`` (PDA100A2 output), ``trig_out_1``, ``trig_out_2`` (DLPC350
    trigger outputs). Defaults match :class:`lsi_rig.detector.config.NidaqmxConfig`.
    """

    device: str = "Dev1"
    ai: dict[str, str] = field(
        default_factory=lambda: {"ai0": "photodiode", "ai1": "trig_out_1", "ai2": "trig_out_2"}
    )
    pfi: dict[str, str] = field(
        default_factory=lambda: {"PFI0": "trig_out_1", "PFI1": "trig_out_2"}
    )

    @classmethod
    def for_config(cls, cfg: Any) -> Wiring:
        """The wiring a NidaqmxConfig expects: photodiode on ``ai_channel``, TRIG_OUT_1 on
        ``trigger_ai_channel`` and ``sample_clock_terminal``, TRIG_OUT_2 on
        ``start_trigger_terminal``."""
        ai = {cfg.ai_channel: "photodiode"}
        if cfg.trigger_ai_channel:
            ai[cfg.trigger_ai_channel] = "trig_out_1"
        pfi = {cfg.sample_clock_terminal: "trig_out_1", cfg.start_trigger_terminal: "trig_out_2"}
        return cls(device=cfg.device, ai=ai, pfi=pfi)

    def ai_signal(self, physical_channel: str) -> str | None:
        """World signal on ``Dev1/ai0`` (None: not wired / other device)."""
        dev, _, line = physical_channel.strip().strip("/").partition("/")
        if dev != self.device:
            return None
        return self.ai.get(line)

    def terminal_signal(self, terminal: str) -> str | None:
        """World signal on ``/Dev1/PFI0`` or ``PFI0``; None when nothing is wired there."""
        parts = [p for p in terminal.strip().split("/") if p]
        if not parts:
            return None
        if len(parts) == 2 and parts[0] != self.device:
            return None
        return self.pfi.get(parts[-1])


class DaqFault(StrEnum):
    """Faults the double can inject (each fires once).

    TIMEOUT: the clock/trigger stops after ``after_samples`` samples, the read times out
    (-200284). OVERWRITE: -200279. FIFO_OVERFLOW: -200361 (USB). ADC_OVERRUN: -200019.
    RESERVED: the next StartTask fails with -50103. SILENT: from now on the server accepts
    calls and never answers them (a hung server; lasts until the double is closed).
    """

    TIMEOUT = "timeout"
    OVERWRITE = "overwrite"
    FIFO_OVERFLOW = "fifo_overflow"
    ADC_OVERRUN = "adc_overrun"
    RESERVED = "reserved"
    SILENT = "silent"


FAULT_CODES: dict[DaqFault, int] = {
    DaqFault.TIMEOUT: -200284,
    DaqFault.OVERWRITE: -200279,
    DaqFault.FIFO_OVERFLOW: -200361,
    DaqFault.ADC_OVERRUN: -200019,
    DaqFault.RESERVED: -50103,
}


@dataclass
class PendingFault:
    kind: DaqFault
    after_samples: int = 0


@dataclass(frozen=True)
class AiChannel:
    physical: str
    name: str
    signal: str | None
    min_v: float
    max_v: float
    terminal_config_raw: int


@dataclass
class Acquisition:
    """What one started task will deliver: sample times (simulated s) and values [C, S]."""

    times_s: np.ndarray
    data_v: np.ndarray

    @property
    def n_samples(self) -> int:
        return int(self.times_s.size)


@dataclass
class TaskState:
    name: str
    channels: list[AiChannel] = field(default_factory=list)
    rate_hz: float = 1000.0
    clock_source: str = ""  # "" / OnboardClock = internal
    clock_edge_raw: int = EDGE_RISING
    sample_mode_raw: int = ACQ_FINITE
    samps_per_chan: int = 1000
    start_trigger_source: str | None = None
    start_trigger_edge_raw: int = EDGE_RISING
    retriggerable: bool = False
    running: bool = False
    t_arm_s: float = 0.0
    acquisition: Acquisition | None = None
    read_pos: int = 0
