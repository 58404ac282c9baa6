"""Captures for the calibration steps, through the same capture job as ``lsi-rig capture``.

Every measurement a step makes is a :class:`~lsi_rig.jobs.CaptureJob` on the step's built
:class:`~lsi_rig.rig.Rig`, so a step runs the same on simulated, emulated and real rigs and sees
exactly what a capture sees (reference patterns, offset correction, flags). The session files
are written to a scratch folder and removed once their records are read: the calibration keeps
the derived arrays, not tens of megabytes of Walsh–Hadamard vectors.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import numpy as np

from lsi_rig.calibration.errors import CalibrationCancelled, CalibrationError
from lsi_rig.calibration.provenance import detector_config
from lsi_rig.config.schema import RigConfig
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.jobs import CaptureJob, CaptureRequest, JobEvent, JobState, RecordCommitted
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.rig import Rig, build_rig
from lsi_rig.scenes.scene import Scene
from lsi_rig.scenes.source import InMemoryScenes

log = logging.getLogger(__name__)

#: ``progress(fraction of the current capture, message)``.
CaptureProgress = Callable[[float, str], None]
#: Asked before a step needs the operator to change something on the bench (a gain knob);
#: returns False to cancel.
OperatorPrompt = Callable[[str], bool]


class Capturer:
    """Runs the captures of one calibration run on a rig (cancel from any thread)."""

    def __init__(
        self,
        rig: Rig,
        rig_config: RigConfig,
        scratch: Path,
        *,
        progress: CaptureProgress | None = None,
        operator: OperatorPrompt | None = None,
        owns_rig: bool = True,
    ) -> None:
        self.rig = rig
        self.owns_rig = owns_rig
        self._bench: tuple[int, float] | None = None  # a real knob away from the rig file's
        self._bench_rig: Rig | None = None
        self.rig_config = rig_config
        self.scratch = scratch
        self.progress = progress
        self.operator = operator
        self._cancel = threading.Event()
        self._job: CaptureJob | None = None
        self._lock = threading.Lock()
        self._count = 0
        self.exposure_us: float | None = None  # as the DMD really ran it (last capture)
        self.flag_counts: dict[str, int] = {}  # record flags seen since the last reset

    # -- steering ----------------------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()
        with self._lock:
            job = self._job
        if job is not None:
            job.stop()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancel(self) -> None:
        if self._cancel.is_set():
            raise CalibrationCancelled("calibration cancelled by the operator")

    def report(self, fraction: float, message: str) -> None:
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0), message)

    # -- rigs at other detector settings -----------------------------------------------------
    @property
    def detector_settable(self) -> bool:
        """Simulated and emulated detectors take the gain from the rig file; a real PDA100A2
        knob needs the operator."""
        return self.rig.world is not None

    @contextmanager
    def rig_at(self, *, gain_db: int, range_v: float) -> Iterator[Rig]:
        """The rig with the detector at another gain/range (the step's own rig when equal).

        Simulated and emulated rigs are built anew from the changed rig file. On a real bench
        the operator turns the knob when asked and the devices are opened again at the new
        setting (so every record carries the setting it was measured at); the knob stays there
        until :meth:`restore_detector`, so a sweep asks once per setting."""
        detector = detector_config(self.rig_config)
        if detector.gain_db == gain_db and detector.range_v == range_v:
            self.restore_detector()
            yield self.rig
            return
        config = self.config_at(gain_db=gain_db, range_v=range_v)
        if self.detector_settable:
            with build_rig(config) as other:
                yield other
            return
        if not self.owns_rig:
            raise CalibrationError(
                "this step reopens the detector at other gains, which needs the rig to itself: "
                "disconnect it in the app or run lsi-rig calibrate"
            )
        if self._bench != (gain_db, range_v) or self._bench_rig is None:
            self._ask(
                f"set the PDA100A2 gain knob to {gain_db} dB and the DAQ range to ±{range_v:g} V"
            )
            (self._bench_rig or self.rig).close()
            self._bench_rig, self._bench = None, None
            self._bench_rig = build_rig(config)
            self._bench = (gain_db, range_v)
        yield self._bench_rig

    def restore_detector(self) -> None:
        """Real bench: the knob back at the rig file's setting and the devices reopened."""
        if self._bench is None:
            return
        if self._bench_rig is not None:
            self._bench_rig.close()
        self._bench_rig, self._bench = None, None
        detector = detector_config(self.rig_config)
        self._ask(
            f"set the PDA100A2 gain knob back to {detector.gain_db} dB and the DAQ range to "
            f"±{detector.range_v:g} V"
        )
        self.rig = build_rig(self.rig_config)

    def _ask(self, message: str) -> None:
        if self.operator is None or not self.operator(message):
            raise CalibrationCancelled(f"calibration needs the operator to {message}")

    def config_at(self, *, gain_db: int, range_v: float) -> RigConfig:
        devices = self.rig_config.devices
        detector = detector_config(self.rig_config).model_copy(
            update={"gain_db": gain_db, "range_v": range_v}
        )
        return self.rig_config.model_copy(
            update={"devices": devices.model_copy(update={"detector": detector})}
        )

    # -- capturing ---------------------------------------------------------------------------
    def capture(
        self,
        label: str,
        images: Sequence[np.ndarray],
        masks: MaskSet,
        *,
        reference_every: int | Literal["rig"] | None = "rig",
        repeats: int = 1,
        averages: int = 1,
        rig: Rig | None = None,
        config: RigConfig | None = None,
    ) -> list[MeasurementRecord]:
        """Show each image (already drawn for the monitor) and measure ``masks``; returns the
        records in (scene, repeat) order. Raises :class:`CalibrationCancelled` on cancel and
        :class:`CalibrationError` when the capture did not complete."""
        self.check_cancel()
        rig = rig if rig is not None else self.rig
        config = config if config is not None else rig.config
        self._count += 1
        scenes = InMemoryScenes(
            [
                Scene(f"{label}-{k:03d}", np.asarray(img, dtype=np.uint8))
                for k, img in enumerate(images)
            ]
        )
        plan = plan_from_config(
            config.acquisition, scenes=scenes, masks=masks, repeats=repeats, averages=averages
        )
        if reference_every != "rig":
            plan = dataclasses.replace(plan, reference_every=reference_every)
        path = self.scratch / f"{self._count:03d}-{label}.h5"
        request = CaptureRequest(
            rig_config=config,
            plan=plan,
            out=path,
            overwrite=True,
            command=f"lsi-rig calibrate ({label})",
        )
        records: dict[int, MeasurementRecord] = {}
        total = plan.n_records

        def listen(event: JobEvent) -> None:
            if isinstance(event, RecordCommitted):
                records[event.index] = event.record
                self.report(len(records) / total, f"{label}: record {len(records)}/{total}")

        job = CaptureJob(request, rig=rig)
        job.subscribe(listen)
        with self._lock:
            self._job = job
        if self._cancel.is_set():
            job.stop()
        try:
            result = job.run()
        finally:
            with self._lock:
                self._job = None
            path.unlink(missing_ok=True)
        if result.state is JobState.CANCELLED:
            raise CalibrationCancelled("calibration cancelled by the operator")
        if result.status != "complete" or len(records) != total:
            raise CalibrationError(
                f"calibration capture {label!r} did not complete ({result.status}, "
                f"{len(records)}/{total} records): {result.error or 'see the log'}"
            )
        ordered = [records[i] for i in sorted(records)]
        self.exposure_us = float(ordered[0].exposure_us)
        for record in ordered:
            for name in record.flags.names():
                self.flag_counts[name] = self.flag_counts.get(name, 0) + 1
        return ordered
