"""Capture to a session file: the application service that joins rig, engine and storage.

Used by ``lsi-rig capture``, ``lsi-rig demo`` and the GUI. Everything that can be checked is
checked before the session file is created, so a bad input never leaves a half-written file;
once capture has started, every completed record is on disk whatever happens next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lsi_rig.config.load import dump_rig
from lsi_rig.config.schema import RigConfig
from lsi_rig.core.paths import check_output_path
from lsi_rig.engine import AcquisitionEngine, CapturePlan, Progress, RunSummary
from lsi_rig.rig import Rig, build_rig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptureResult:
    path: Path
    summary: RunSummary
    status: str


def capture_session(
    rig_config: RigConfig,
    plan: CapturePlan,
    out: str | Path,
    *,
    overwrite: bool = False,
    command: str = "",
    on_progress: Callable[[Progress], None] | None = None,
    engine_ready: Callable[[AcquisitionEngine], None] | None = None,
    rig: Rig | None = None,
) -> CaptureResult:
    """Run ``plan`` on the rig and record it in a new session file at ``out``.

    ``engine_ready`` receives the engine before the first record so a caller (the GUI, a signal
    handler) can call :meth:`AcquisitionEngine.stop`.
    """
    from lsi_rig.storage import RunStatus, SessionLogHandler, SessionMetadata, SessionWriter

    path = Path(out)
    check_output_path(path, overwrite=overwrite)
    owns_rig = rig is None
    rig = rig if rig is not None else build_rig(rig_config)
    try:
        engine = AcquisitionEngine(rig, on_progress=on_progress)
        prepared = engine.prepare(plan)
        sequence, timing = prepared
        trace_shape = engine.probe_trace_shape(plan, timing) if plan.keep_trace else None
        if plan.keep_trace and trace_shape is None:
            log.warning(
                "raw traces requested but the %s detector mode records none; use the "
                "oversampled mode to keep traces",
                rig.detector.mode,
            )
        metadata = SessionMetadata(
            rig_name=rig_config.name,
            rig_config_yaml=dump_rig(rig_config),
            devices=rig.describe(),
            masks=plan.masks,
            sequence=sequence,
            scenes=list(plan.scenes.infos),
            calibration=None,
            command=command,
            trace_shape=trace_shape,
            extra={"sequence_period_us": timing.sequence_period_us},
        )
        if engine_ready is not None:
            engine_ready(engine)
        writer = SessionWriter(path, metadata, overwrite=overwrite)
        handler = SessionLogHandler(writer)
        handler.setLevel(logging.INFO)
        root = logging.getLogger("lsi_rig")
        root.addHandler(handler)
        status = RunStatus.FAILED
        try:
            log.info(
                "capture started: %d scenes x %d repeats", len(plan.scenes.infos), plan.repeats
            )
            summary = engine.run(plan, writer, prepared=prepared)
            status = RunStatus.INTERRUPTED if summary.stopped else RunStatus.COMPLETE
            log.info("capture ended: %d records, status %s", summary.records_written, status)
        except KeyboardInterrupt:
            status = RunStatus.INTERRUPTED
            raise
        finally:
            root.removeHandler(handler)
            writer.close(status)
    finally:
        if owns_rig:
            rig.close()
    return CaptureResult(path=path, summary=summary, status=str(status))
