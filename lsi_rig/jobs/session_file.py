"""The session file a capture job writes: created new, or reopened to resume; the job's sink.

Everything that can be checked is checked before a new file is created, so a bad input never
leaves a half-written file; once capture has started every committed record is on disk whatever
happens next, and the file is closed with the status the run earned.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsi_rig.config.load import dump_rig
from lsi_rig.core.errors import SessionError
from lsi_rig.core.paths import check_output_path
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.core.timing import SequenceTiming
from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.engine import AcquisitionEngine, RunSummary
from lsi_rig.engine.results import RecordKey
from lsi_rig.jobs.calibrated import calibrate_record
from lsi_rig.jobs.resume import plan_differences, sequence_differences
from lsi_rig.rig import Rig
from lsi_rig.storage import RunStatus, SessionLogHandler, SessionMetadata, SessionWriter

if TYPE_CHECKING:
    from lsi_rig.jobs.capture import CaptureRequest

log = logging.getLogger(__name__)


class SessionTarget:
    """Where a job's records go (it is the engine's sink)."""

    def __init__(self, request: CaptureRequest) -> None:
        self.request = request
        self.path = request.out.expanduser().absolute()
        self.writer: SessionWriter | None = None
        self.skip: frozenset[RecordKey] = frozenset()
        self.records_written = 0
        self.last_index = -1
        self.last_record: MeasurementRecord | None = None
        self._handler: SessionLogHandler | None = None

    def check(self) -> None:
        """Fail early: a new file must be creatable, a resumed one must exist."""
        if self.request.resume:
            if not self.path.is_file():
                raise SessionError(f"--resume {self.path}: no such session file")
        else:
            check_output_path(self.path, overwrite=self.request.overwrite)

    def open(
        self,
        rig: Rig,
        engine: AcquisitionEngine,
        prepared: tuple[PatternSequence, SequenceTiming],
    ) -> None:
        if self.request.resume:
            self._reopen(prepared[0])
        else:
            self._create(rig, engine, prepared)
        assert self.writer is not None
        self._handler = SessionLogHandler(self.writer)
        self._handler.setLevel(logging.INFO)
        logging.getLogger("lsi_rig").addHandler(self._handler)
        plan = self.request.plan
        log.info(
            "capture %s: %d scenes x %d repeats, %d already recorded",
            "resumed" if self.request.resume else "started",
            len(plan.scenes.infos),
            plan.repeats,
            len(self.skip),
        )

    def _create(
        self,
        rig: Rig,
        engine: AcquisitionEngine,
        prepared: tuple[PatternSequence, SequenceTiming],
    ) -> None:
        plan, config = self.request.plan, self.request.rig_config
        calibration = self.request.calibration
        sequence, timing = prepared
        trace_shape = engine.probe_trace_shape(plan, timing) if plan.keep_trace else None
        if plan.keep_trace and trace_shape is None:
            log.warning(
                "raw traces requested but the %s detector mode records none; use the "
                "oversampled mode to keep traces",
                rig.detector.mode,
            )
        metadata = SessionMetadata(
            rig_name=config.name,
            rig_config_yaml=dump_rig(config),
            devices=rig.describe(),
            masks=plan.masks,
            sequence=sequence,
            scenes=list(plan.scenes.infos),
            calibration=None if calibration is None else calibration.snapshot,
            command=self.request.command,
            trace_shape=trace_shape,
            extra={**self.request.extra, "sequence_period_us": timing.sequence_period_us},
        )
        self.writer = SessionWriter(self.path, metadata, overwrite=self.request.overwrite)

    def _reopen(self, sequence: PatternSequence) -> None:
        from lsi_rig.storage import open_session

        request = self.request
        with open_session(self.path) as reader:
            if reader.status is RunStatus.COMPLETE:
                raise SessionError(
                    f"cannot resume {self.path}: the session is complete (nothing to resume)"
                )
            layout = sequence_differences(reader.sequence(), sequence)
            if layout:
                raise SessionError(
                    f"cannot resume {self.path}: {layout[0]}; the stored vectors are laid out "
                    "by the stored sequence (start a new session instead)"
                )
            differences = plan_differences(
                stored_rig_yaml=reader.rig_config_yaml,
                current_rig_yaml=dump_rig(request.rig_config),
                stored_mask_sha256=reader.mask_sha256,
                stored_scenes=reader.scenes(),
                stored_calibration_sha256=reader.calibration_sha256,
                plan=request.plan,
                calibration_sha256=(
                    None if request.calibration is None else request.calibration.snapshot.sha256
                ),
            )
        if differences and not request.force:
            more = f" (and {len(differences) - 1} more)" if len(differences) > 1 else ""
            raise SessionError(
                f"cannot resume {self.path}: {differences[0]}{more}; use the same rig, masks, "
                "scenes and calibration, or --force"
            )
        note = "; ".join(f"forced although {d}" for d in differences)
        self.writer = SessionWriter.reopen(self.path, note=note)
        self.skip = frozenset(self.writer.committed_keys())

    # -- the engine's sink ---------------------------------------------------------------
    def append(self, record: MeasurementRecord) -> int:
        assert self.writer is not None
        if self.request.calibration is not None:
            record = calibrate_record(record, self.request.calibration)
        index = self.writer.append(record)
        self.last_index, self.last_record = index, record
        self.records_written += 1
        return index

    # -- the end -------------------------------------------------------------------------
    def finish(self, summary: RunSummary) -> str:
        """Close with "complete" when every planned record is in the file, else "interrupted"
        (stopped, or records skipped by the error policy: a resume measures those again)."""
        all_there = len(self.skip) + summary.records_written == summary.records_planned
        status = RunStatus.COMPLETE if all_there and not summary.stopped else RunStatus.INTERRUPTED
        if summary.skipped:
            keys = ", ".join(f"{s}/{r}" for s, r in summary.skipped[:20])
            log.warning(
                "%d record(s) skipped by the error policy (scene/repeat %s); resume the session "
                "to measure them again",
                len(summary.skipped),
                keys,
            )
        log.info("capture ended: %d records, status %s", summary.records_written, status)
        self._close(status)
        return str(status)

    def abort(self, *, interrupted: bool, message: str) -> str | None:
        """Close after a stop or an error; None when no file was created."""
        if self.writer is None:
            return None
        status = RunStatus.INTERRUPTED if interrupted else RunStatus.FAILED
        # into the session's own log only: the caller reports the same line to the operator
        try:
            self.writer.log(
                "WARNING" if interrupted else "ERROR",
                f"capture {'interrupted' if interrupted else 'failed'}: {message}",
            )
        except Exception as exc:  # a full disk may refuse even this line
            log.debug("session %s: could not log the end: %s", self.path, exc)
        self._close(status)
        return str(status)

    def _close(self, status: RunStatus) -> None:
        if self._handler is not None:
            logging.getLogger("lsi_rig").removeHandler(self._handler)
            self._handler = None
        assert self.writer is not None
        try:
            self.writer.close(status)
        except Exception as exc:  # the file keeps its committed records and reads 'running'
            log.error("session %s could not be closed cleanly: %s", self.path, exc)
