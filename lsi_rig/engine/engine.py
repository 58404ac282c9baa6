"""The acquisition engine: executes a :class:`CapturePlan` on a rig's devices, emits records.

Qt-free and single-threaded: a job runs it in a worker thread and steers it through a
:class:`~lsi_rig.engine.control.RunControl` (stop, pause) honoured within one sequence pass in
every phase. Transient device faults are retried, then skipped, paused on or failed per the
:class:`~lsi_rig.engine.policy.ErrorPolicy`; the DMD's health is polled between records so a
disconnect or a lost video lock ends the run instead of filling the session with garbage. The
engine knows devices only through their protocols and records only through a sink with
``append(record)`` (the session writer), so recording and display stay separate.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Collection

import numpy as np

from lsi_rig.core.flags import RecordFlags
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.core.timing import SequenceTiming
from lsi_rig.detector.protocol import AcquisitionRequest, DetectorReading
from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.engine.control import Phase, RunControl
from lsi_rig.engine.devices import RigDevices
from lsi_rig.engine.edges import detector_edge_flags, gated_edge_flags, open_edge_gate
from lsi_rig.engine.plan import CapturePlan
from lsi_rig.engine.policy import ErrorPolicy
from lsi_rig.engine.results import Progress, RecordKey, RecordSink, RunSummary
from lsi_rig.engine.run import CaptureRun, RestartRecord
from lsi_rig.engine.vector import form_vector

log = logging.getLogger(__name__)


class AcquisitionEngine:
    """Runs capture plans on one rig's devices."""

    def __init__(
        self,
        rig: RigDevices,
        *,
        on_progress: Callable[[Progress], None] | None = None,
        control: RunControl | None = None,
        policy: ErrorPolicy | None = None,
        health_interval_s: float = 1.0,
    ) -> None:
        self.rig = rig
        self.on_progress = on_progress
        self.control = control if control is not None else RunControl()
        self.policy = policy if policy is not None else ErrorPolicy()
        self.health_interval_s = health_interval_s
        self._device_s = 0.0

    def stop(self) -> None:
        """Ask the plan to end within the current sequence pass (thread-safe; a stop asked
        before :meth:`run` starts is kept)."""
        self.control.stop()

    @property
    def stop_requested(self) -> bool:
        return self.control.stop_requested

    def _timed(self, fn: Callable[..., object], *args: object) -> object:
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self._device_s += time.perf_counter() - t0

    def prepare(self, plan: CapturePlan) -> tuple[PatternSequence, SequenceTiming]:
        """Build the pattern sequence and program the DMD with it."""
        self.control.checkpoint(Phase.PREPARING)
        sequence = PatternSequence.build(
            plan.masks,
            exposure_us=plan.exposure_us,
            period_us=plan.period_us,
            reference_every=plan.reference_every,
        )
        timing = self.rig.dmd.load_sequence(sequence)
        self.control.checkpoint(Phase.PREPARING)
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
        self.control.checkpoint(Phase.PROBE)
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
        skip: Collection[RecordKey] = (),
    ) -> RunSummary:
        """Measure every (scene, repeat) of ``plan`` not in ``skip`` (records committed by an
        earlier run of a resumed session) and append each record to ``sink``.

        Returns when the plan is done or stopped; raises :class:`DeviceError` when a fatal
        device fault ends the run (every record appended before it stays in the sink).
        """
        run = CaptureRun(self, plan, sink, skip)
        sequence, timing = prepared if prepared is not None else self.prepare(plan)
        run.sequence, run.timing = sequence, timing
        run.request = self.request_for(plan, timing)
        return run.execute()

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
            if self.control.checkpoint(Phase.IN_RECORD):
                raise RestartRecord
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
