"""The acquisition engine: executes a :class:`CapturePlan` on a :class:`Rig`, emits records.

Qt-free and single-threaded: a GUI runs it in a worker thread and calls :meth:`stop` from the
GUI thread. Stop is cooperative and checked before every sequence pass, so it takes effect
within one pass. The engine knows devices only through their protocols and records only through
a sink with ``append(record)`` (the session writer), so recording and display stay separate.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from lsi_rig.core.flags import RecordFlags
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.core.timing import SequenceTiming
from lsi_rig.detector.protocol import AcquisitionRequest, DetectorReading
from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.engine.devices import RigDevices
from lsi_rig.engine.edges import detector_edge_flags, gated_edge_flags, open_edge_gate
from lsi_rig.engine.plan import CapturePlan
from lsi_rig.engine.vector import form_vector

log = logging.getLogger(__name__)


class RecordSink(Protocol):
    def append(self, record: MeasurementRecord) -> int: ...


@dataclass(frozen=True)
class Progress:
    """Sent after every record (and once at the start with ``records_done = 0``)."""

    records_done: int
    records_total: int
    scene_index: int
    scene_id: str
    repeat_index: int
    elapsed_s: float
    flags: RecordFlags = RecordFlags.NONE
    record: MeasurementRecord | None = None

    @property
    def eta_s(self) -> float | None:
        if self.records_done == 0:
            return None
        rate = self.elapsed_s / self.records_done
        return rate * (self.records_total - self.records_done)


@dataclass
class RunSummary:
    """What happened: counts, why it ended, and where the time went."""

    records_written: int
    records_planned: int
    stopped: bool
    wall_s: float
    device_s: float
    sink_s: float
    flag_counts: dict[str, int] = field(default_factory=dict)
    timing: SequenceTiming | None = None

    @property
    def overhead_per_record_s(self) -> float:
        """Software time per record outside device calls (record formation and writing incl.)."""
        if self.records_written == 0:
            return 0.0
        return (self.wall_s - self.device_s) / self.records_written


class AcquisitionEngine:
    """Runs capture plans on one rig."""

    def __init__(
        self, rig: RigDevices, *, on_progress: Callable[[Progress], None] | None = None
    ) -> None:
        self.rig = rig
        self.on_progress = on_progress
        self._stop = threading.Event()
        self._device_s = 0.0

    def stop(self) -> None:
        """Ask the running plan to end after the current sequence pass (thread-safe)."""
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def _timed(self, fn: Callable[..., object], *args: object) -> object:
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self._device_s += time.perf_counter() - t0

    def prepare(self, plan: CapturePlan) -> tuple[PatternSequence, SequenceTiming]:
        """Build the pattern sequence and program the DMD with it."""
        sequence = PatternSequence.build(
            plan.masks,
            exposure_us=plan.exposure_us,
            period_us=plan.period_us,
            reference_every=plan.reference_every,
        )
        timing = self.rig.dmd.load_sequence(sequence)
        # record what the DMD will really run (video-port mode fixes the exposure itself)
        sequence = dataclasses.replace(
            sequence, exposure_us=timing.exposure_us, period_us=timing.period_us
        )
        return sequence, timing

    @staticmethod
    def request_for(plan: CapturePlan, timing: SequenceTiming) -> AcquisitionRequest:
        """What the detector is asked for each pass."""
        return AcquisitionRequest(
            n_patterns=timing.n_patterns,
            exposure_us=timing.exposure_us,
            period_us=timing.period_us,
            sequence_period_us=timing.sequence_period_us,
            timeout_s=2 * timing.sequence_period_us * 1e-6 + plan.read_timeout_s,
            keep_trace=plan.keep_trace,
        )

    def probe_trace_shape(
        self, plan: CapturePlan, timing: SequenceTiming
    ) -> tuple[int, int] | None:
        """Run one discarded pass to learn the raw-trace shape ``(channels, samples)`` the
        detector delivers (None: its mode records no trace), so the session file can size the
        trace dataset before capture (SWMR files cannot add datasets later)."""
        rig = self.rig
        rig.dmd.start()
        try:
            rig.detector.arm(self.request_for(plan, timing))
            reading = rig.detector.read()
        finally:
            rig.dmd.stop()
        if reading.trace_v is None:
            return None
        channels, samples = np.shape(reading.trace_v)
        return int(channels), int(samples)

    def run(
        self,
        plan: CapturePlan,
        sink: RecordSink,
        *,
        prepared: tuple[PatternSequence, SequenceTiming] | None = None,
    ) -> RunSummary:
        rig = self.rig
        self._stop.clear()
        self._device_s = 0.0
        t_wall0 = time.perf_counter()
        sink_s = 0.0
        sequence, timing = prepared if prepared is not None else self.prepare(plan)
        request = self.request_for(plan, timing)
        settle_s = plan.settle_s if plan.settle_s is not None else rig.display.settle_time_s
        infos = plan.scenes.infos
        total = plan.n_records
        written = 0
        flag_counts: dict[str, int] = {}
        self._emit(Progress(0, total, 0, infos[0].scene_id, 0, 0.0))
        self._timed(rig.dmd.start)
        try:
            for scene_index, info in enumerate(infos):
                if self._stop.is_set():
                    break
                scene = plan.scenes.load(scene_index)
                t_change = float(self._timed(rig.display.show, scene.image))  # type: ignore[arg-type]
                wait = t_change + settle_s - rig.clock.now_s()
                if wait > 0:
                    self._timed(rig.clock.sleep_s, wait)
                for repeat_index in range(plan.repeats):
                    if self._stop.is_set():
                        break
                    record = self._measure(
                        plan, sequence, timing, request, scene_index, repeat_index
                    )
                    t0 = time.perf_counter()
                    sink.append(record)
                    sink_s += time.perf_counter() - t0
                    written += 1
                    if record.flags:
                        for name in record.flags.names():
                            flag_counts[name] = flag_counts.get(name, 0) + 1
                    self._emit(
                        Progress(
                            written,
                            total,
                            scene_index,
                            info.scene_id,
                            repeat_index,
                            time.perf_counter() - t_wall0,
                            record.flags,
                            record,
                        )
                    )
        finally:
            try:
                self._timed(rig.dmd.stop)
            except Exception:
                log.exception("DMD stop failed")
        return RunSummary(
            records_written=written,
            records_planned=total,
            stopped=self._stop.is_set(),
            wall_s=time.perf_counter() - t_wall0,
            device_s=self._device_s,
            sink_s=sink_s,
            flag_counts=flag_counts,
            timing=timing,
        )

    def _emit(self, progress: Progress) -> None:
        if self.on_progress is not None:
            self.on_progress(progress)

    def _measure(
        self,
        plan: CapturePlan,
        sequence: PatternSequence,
        timing: SequenceTiming,
        request: AcquisitionRequest,
        scene_index: int,
        repeat_index: int,
    ) -> MeasurementRecord:
        rig = self.rig
        t_start_ns = time.time_ns()
        readings: list[DetectorReading] = []
        flags = RecordFlags.NONE
        for pass_index in range(plan.averages):
            if rig.sync is not None:
                self._timed(open_edge_gate, rig.sync, timing)
            keyed = dataclasses.replace(request, record_key=(scene_index, repeat_index, pass_index))
            self._timed(rig.detector.arm, keyed)
            reading: DetectorReading = self._timed(rig.detector.read)  # type: ignore[assignment]
            flags |= reading.flags | detector_edge_flags(reading, timing)
            if rig.sync is not None and np.all(np.isfinite(reading.samples_v)):
                flags |= self._timed(gated_edge_flags, rig.sync, timing, rig.clock)  # type: ignore[operator]
            readings.append(reading)
        samples = (
            readings[0].samples_v
            if len(readings) == 1
            else np.mean([r.samples_v for r in readings], axis=0)
        )
        formed = form_vector(samples, sequence, drift_threshold=plan.drift_threshold)
        trace = readings[-1].trace_v if plan.keep_trace else None
        return MeasurementRecord(
            scene_index=scene_index,
            repeat_index=repeat_index,
            t_start_ns=t_start_ns,
            t_end_ns=time.time_ns(),
            samples_v=np.asarray(samples, dtype=np.float32),
            raw_v=formed.raw_v.astype(np.float32),
            vector_v=formed.vector_v.astype(np.float32),
            dark_v=formed.dark_v.astype(np.float32),
            bright_v=formed.bright_v.astype(np.float32),
            exposure_us=timing.exposure_us,
            period_us=timing.period_us,
            gain_db=float(rig.detector.gain_db),
            range_v=float(rig.detector.range_v),
            n_averaged=len(readings),
            flags=flags | formed.flags,
            trace_v=None if trace is None else np.asarray(trace, dtype=np.float32),
        )
