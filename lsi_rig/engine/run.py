"""One execution of a plan: the scene loop, the error policy per record, health polling.

Kept apart from :mod:`lsi_rig.engine.engine` (which knows how to measure one record) so the
policy — retry, skip, pause, fail, restart after a pause — reads in one place.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from lsi_rig.core.errors import CaptureStopped, DeviceError
from lsi_rig.core.flags import RecordFlags
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.core.timing import SequenceTiming
from lsi_rig.detector.protocol import AcquisitionRequest
from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.engine.control import Phase
from lsi_rig.engine.health import HealthWatch
from lsi_rig.engine.plan import CapturePlan
from lsi_rig.engine.policy import TRANSIENT_FLAGS, OnExhausted, is_transient
from lsi_rig.engine.results import Progress, RecordKey, RecordSink, RunSummary
from lsi_rig.scenes.scene import Scene

if TYPE_CHECKING:
    from lsi_rig.engine.engine import AcquisitionEngine

log = logging.getLogger(__name__)


class RestartRecord(Exception):
    """A pause inside a record: its passes so far are dropped and it is measured again."""


class CaptureRun:
    """State of one :meth:`AcquisitionEngine.run` call."""

    sequence: PatternSequence
    timing: SequenceTiming
    request: AcquisitionRequest

    def __init__(
        self,
        engine: AcquisitionEngine,
        plan: CapturePlan,
        sink: RecordSink,
        skip: Collection[RecordKey],
    ) -> None:
        self.engine = engine
        self.plan = plan
        self.sink = sink
        self.skip = frozenset(skip)
        self.written = 0
        self.retries = 0
        self.skipped: list[RecordKey] = []
        self.flag_counts: dict[str, int] = {}
        self.sink_s = 0.0
        self.hidden_s = 0.0
        self._pending: tuple[MeasurementRecord, str] | None = None
        self.health = HealthWatch(engine.rig.dmd, engine.health_interval_s)

    # -- the loop ----------------------------------------------------------------------------
    def execute(self) -> RunSummary:
        engine, plan, rig = self.engine, self.plan, self.engine.rig
        engine._device_s = 0.0
        self.t_wall0 = time.perf_counter()
        infos = plan.scenes.infos
        before = len(self.skip)
        self._progress(0, infos[0].scene_id, 0, None)
        stopped = False
        dmd_started = False
        failing = False
        try:
            engine.control.checkpoint(Phase.PREPARING)
            engine._timed(rig.dmd.start)
            dmd_started = True
            for scene_index, info in enumerate(infos):
                todo = [r for r in range(plan.repeats) if (scene_index, r) not in self.skip]
                if not todo:
                    continue
                engine.control.checkpoint(Phase.BETWEEN_SCENES, self._commit_pending)
                scene = plan.scenes.load(scene_index)
                self._show(scene, during_settle=self._commit_pending)
                for repeat_index in todo:
                    record = self._record(scene, scene_index, repeat_index)
                    if record is None:
                        continue
                    if repeat_index == todo[-1]:  # written while the next scene settles
                        self._pending = (record, info.scene_id)
                    else:
                        self._commit(record, info.scene_id)
            self._commit_pending()
            self._check_health(None, final=True)
        except CaptureStopped:
            stopped = True
        except BaseException:
            failing = True
            raise
        finally:
            self._commit_pending_on_exit(quiet=failing)
            if dmd_started:
                self._stop_dmd(quiet=failing)
        return RunSummary(
            records_written=self.written,
            records_planned=plan.n_records,
            stopped=stopped,
            wall_s=time.perf_counter() - self.t_wall0,
            device_s=engine._device_s,
            sink_s=self.sink_s,
            flag_counts=self.flag_counts,
            timing=self.timing,
            skipped=self.skipped,
            retries=self.retries,
            records_before=before,
            hidden_s=self.hidden_s,
        )

    # -- the record held over a scene change -------------------------------------------------
    def _commit_pending(self) -> None:
        """Write the record held since the end of the previous scene (if any).

        A scene's last record is not written at once but while the next scene settles on the
        monitor — the settle wait is needed anyway, so the HDF5 append and flush (the largest
        software cost of a scene, and slowest right after a long device wait) cost no time.
        It is written before any checkpoint parks or stops the engine, at the end of the run,
        and on the way out of an error, so a record is never held longer than one scene change.
        """
        item, self._pending = self._pending, None
        if item is not None:
            self._commit(*item)

    def _commit_pending_on_exit(self, *, quiet: bool) -> None:
        """:meth:`_commit_pending` while leaving the run: if another error is already on its way
        up (``quiet``) a failure here is logged and the first error wins."""
        try:
            self._commit_pending()
        except Exception as exc:  # the error already on its way up is the one to report
            if not quiet:
                raise
            log.error("the last measured record could not be written either: %s", exc)

    def _stop_dmd(self, *, quiet: bool) -> None:
        """Stop the sequencer. A failure here is a device fault of its own (a run must not end
        'complete' when the DMD could not even be stopped), unless another error is already on
        its way up (``quiet``): then it is logged and the first error wins."""
        try:
            self.engine._timed(self.engine.rig.dmd.stop)
        except DeviceError as exc:
            if not quiet:
                raise
            log.error("DMD stop failed as well: %s", exc)

    def _show(self, scene: Scene, during_settle: Callable[[], None] | None = None) -> None:
        """Show ``scene`` and wait until the monitor has settled; ``during_settle`` runs inside
        that wait. The part of its time the wait absorbed is counted as hidden, not lost."""
        engine, rig = self.engine, self.engine.rig
        settle_s = self.plan.settle_s
        if settle_s is None:
            settle_s = rig.display.settle_time_s
        t_change = float(engine._timed(rig.display.show, scene.image))  # type: ignore[arg-type]
        if during_settle is not None:
            left_s = t_change + settle_s - rig.clock.now_s()
            t0 = time.perf_counter()
            during_settle()
            spent_s = time.perf_counter() - t0
            self.hidden_s += min(spent_s, max(left_s, 0.0))
        wait = t_change + settle_s - rig.clock.now_s()
        if wait > 0:
            engine._timed(rig.clock.sleep_s, wait)

    # -- one record under the error policy ---------------------------------------------------
    def _record(
        self, scene: Scene, scene_index: int, repeat_index: int
    ) -> MeasurementRecord | None:
        engine, policy = self.engine, self.engine.policy
        failures = 0
        while True:
            problem: str
            error: DeviceError | None = None
            try:
                record = engine._measure(
                    self.plan,
                    self.sequence,
                    self.timing,
                    self.request,
                    scene_index,
                    repeat_index,
                )
            except RestartRecord:
                self._show(scene)  # the operator may have touched the bench: settle again
                failures = 0
                continue
            except DeviceError as exc:
                if not is_transient(exc):
                    raise
                problem, error = str(exc), exc
            else:
                if not (record.flags & TRANSIENT_FLAGS):
                    return record
                problem = f"partial read ({', '.join(record.flags.names())})"
            failures += 1
            where = f"scene {scene_index} ({scene.scene_id}) repeat {repeat_index}"
            if failures <= policy.retries:
                self.retries += 1
                log.warning("%s: %s; retry %d of %d", where, problem, failures, policy.retries)
                continue
            if policy.on_exhausted is OnExhausted.SKIP:
                log.error("%s skipped after %d attempts: %s", where, failures, problem)
                self.skipped.append((scene_index, repeat_index))
                return None
            if policy.on_exhausted is OnExhausted.PAUSE:
                reason = f"{where}: {problem} after {failures} attempts; fix it and resume"
                log.error("pausing: %s", reason)
                engine.control.pause(reason)
                engine.control.checkpoint(Phase.OPERATOR)
                self._show(scene)
                failures = 0
                continue
            message = f"{where}: {problem} (after {failures} attempts)"
            if error is not None:  # keep the device's error class (timeout, not found, …)
                raise type(error)(message) from error
            raise DeviceError(message)

    def _commit(self, record: MeasurementRecord, scene_id: str) -> None:
        problem = self._check_health(record)
        if problem is not None:
            record = _with_flags(record, RecordFlags.DEVICE_WARNING)
        t0 = time.perf_counter()
        self.sink.append(record)
        self.sink_s += time.perf_counter() - t0
        self.written += 1
        if record.flags:
            for name in record.flags.names():
                self.flag_counts[name] = self.flag_counts.get(name, 0) + 1
        self._progress(self.written, scene_id, record.repeat_index, record)
        if problem is not None:
            raise DeviceError(
                f"{problem}; record {record.scene_index}/{record.repeat_index} kept, "
                "flagged DEVICE_WARNING"
            )

    def _check_health(self, record: MeasurementRecord | None, *, final: bool = False) -> str | None:
        if not (final or self.health.due()):
            return None
        problem = self.health.check()
        if problem is not None and record is None:
            raise DeviceError(problem)
        return problem

    def _progress(
        self, written: int, scene_id: str, repeat_index: int, record: MeasurementRecord | None
    ) -> None:
        before = len(self.skip)
        self.engine._emit(
            Progress(
                records_done=before + written,
                records_total=self.plan.n_records,
                scene_index=0 if record is None else record.scene_index,
                scene_id=scene_id,
                repeat_index=repeat_index,
                elapsed_s=time.perf_counter() - self.t_wall0,
                flags=RecordFlags.NONE if record is None else record.flags,
                record=record,
                records_before=before,
                records_skipped=len(self.skipped),
            )
        )


def _with_flags(record: MeasurementRecord, flags: RecordFlags) -> MeasurementRecord:
    return dataclasses.replace(record, flags=record.flags | flags)
