"""A calibration session: build the rig once, run steps one by one, save one folder.

``CalibrationSession`` is what the CLI (``lsi-rig calibrate STEP``) and the GUI wizard drive::

    with CalibrationSession(rig_config, masks, root=Path("calibration")) as session:
        for step in STEP_ORDER:
            result = session.run_step(step, progress=print_progress)
            if not result.ok:
                break
        saved = session.save()

A single step builds on the newest earlier calibration of the same rig, masks and detector
setting (re-running a step drops the results that depended on it); ``base=None`` starts
afresh (``calibrate all``). The saved folder becomes ``current`` only when it is complete (a
response step) and every fit in it was accepted; otherwise the previous calibration stays in
force and the folder is kept for diagnosis.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from lsi_rig.calibration.capture import Capturer, OperatorPrompt
from lsi_rig.calibration.errors import CalibrationError
from lsi_rig.calibration.model import (
    STEP_ORDER,
    CalibrationContent,
    StepResult,
    StepResults,
    dependents,
)
from lsi_rig.calibration.provenance import detector_config, differences, make_provenance
from lsi_rig.calibration.settings import CalibrationSettings
from lsi_rig.calibration.steps import STEPS, StepContext
from lsi_rig.calibration.store import (
    StoredCalibration,
    current_folder,
    list_calibrations,
    read_calibration,
    rig_folder,
    utc_now,
    write_calibration,
)
from lsi_rig.config.schema import RigConfig
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.rig import Rig, build_rig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepProgress:
    """``fraction`` of the running step done, with what it is doing."""

    step: str
    fraction: float
    message: str


ProgressListener = Callable[[StepProgress], None]


@dataclass(frozen=True)
class SavedCalibration:
    folder: Path
    status: str
    made_current: bool
    message: str
    figures: dict[str, Path] = field(default_factory=dict)
    stored: StoredCalibration | None = None


#: Flags that say a step's data may be wrong; the gain step saturates on purpose.
_WORRYING = (
    "SATURATED",
    "MISSING_EDGES",
    "EXTRA_EDGES",
    "TIMING_ANOMALY",
    "PARTIAL_READ",
    "SLOW_DETECTOR",
    "DEVICE_WARNING",
    "SCENE_NOT_SETTLED",
)


def _with_flag_warnings(result: StepResult, counts: dict[str, int], *, step: str) -> StepResult:
    worrying = {
        k: v
        for k, v in counts.items()
        if k in _WORRYING and not (step == "gain" and k == "SATURATED")
    }
    if not worrying:
        return result
    seen = ", ".join(f"{k} ×{v}" for k, v in sorted(worrying.items()))
    note = f"some of this step's records were flagged ({seen}): check the rig and the log"
    return result.model_copy(update={"warnings": [*result.warnings, note]})


class CalibrationSession:
    """See the module docstring. Not thread-safe except :meth:`cancel`."""

    def __init__(
        self,
        rig_config: RigConfig,
        masks: MaskSet,
        *,
        root: Path | None = None,
        settings: CalibrationSettings | None = None,
        operator: OperatorPrompt | None = None,
        rig: Rig | None = None,
        base: Literal["auto"] | Path | None = "auto",
        command: str = "",
    ) -> None:
        self.rig_config = rig_config
        self.masks = masks
        self.root = root
        self.settings = settings or CalibrationSettings()
        self.operator = operator
        self.command = command
        self._given_rig = rig
        self._base_spec = base
        self.rig_dir = rig_folder(rig_config, root)
        self.created_utc = utc_now()
        self.steps = StepResults()
        self.arrays: dict[str, np.ndarray] = {}
        self.figures: dict[str, bytes] = {}
        self.ran: list[str] = []
        self.base: StoredCalibration | None = None
        self._capturer: Capturer | None = None
        self._scratch: Path | None = None
        self._progress: ProgressListener | None = None
        self._current_step = ""

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> CalibrationSession:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        if self._capturer is not None:
            return
        self.base = self._find_base()
        if self.base is not None:
            self.steps = self.base.content.steps
            self.arrays = dict(self.base.arrays)
        rig = self._given_rig if self._given_rig is not None else build_rig(self.rig_config)
        self._scratch = Path(tempfile.mkdtemp(prefix="lsi-rig-calibration-"))
        self._capturer = Capturer(
            rig,
            self.rig_config,
            self._scratch,
            progress=self._on_progress,
            operator=self.operator,
            owns_rig=self._given_rig is None,
        )

    def close(self) -> None:
        capturer, self._capturer = self._capturer, None
        if capturer is not None and self._given_rig is None:
            capturer.rig.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def cancel(self) -> None:
        """Stop the running step within one sequence pass (any thread)."""
        if self._capturer is not None:
            self._capturer.cancel()

    @property
    def rig(self) -> Rig:
        return self._require().rig

    def _require(self) -> Capturer:
        if self._capturer is None:
            raise RuntimeError("calibration session is not open")
        return self._capturer

    # -- base calibration --------------------------------------------------------------------
    def _find_base(self) -> StoredCalibration | None:
        spec = self._base_spec
        if spec is None:
            return None
        detector = detector_config(self.rig_config)
        if spec != "auto":
            return read_calibration(Path(spec))
        candidates = list(reversed(list_calibrations(self.rig_dir)))
        try:
            current = current_folder(self.rig_dir)
        except CalibrationError as exc:
            log.warning("ignoring %s", exc)
            current = None
        if current is not None:
            candidates.insert(0, current)
        for folder in candidates:
            try:
                stored = read_calibration(folder)
            except CalibrationError as exc:
                log.warning("ignoring %s", exc)
                continue
            if stored.content.status == "failed":
                continue
            if differences(
                stored.content.provenance,
                self.rig_config,
                masks=self.masks,
                gain_db=detector.gain_db,
                range_v=detector.range_v,
            ):
                continue
            return stored
        return None

    # -- steps -------------------------------------------------------------------------------
    def _on_progress(self, fraction: float, message: str) -> None:
        if self._progress is not None:
            self._progress(StepProgress(self._current_step, fraction, message))

    def run_step(self, name: str, progress: ProgressListener | None = None) -> StepResult:
        """Run one step on the rig; its result replaces an earlier one and drops the results
        that depended on it. Raises CalibrationCancelled / CalibrationError."""
        if name not in STEPS:
            raise CalibrationError(
                f"unknown calibration step {name!r}; choose one of {', '.join(STEP_ORDER)} or all"
            )
        capturer = self._require()
        capturer.check_cancel()
        self._progress, self._current_step = progress, name
        capturer.flag_counts = {}
        stale = dependents(name) | {name}
        kept = {k: v for k, v in self.steps if k not in stale}
        context = StepContext(
            capturer=capturer,
            rig_config=self.rig_config,
            masks=self.masks,
            settings=self.settings,
            steps=StepResults(**kept),
            arrays={k: v for k, v in self.arrays.items() if k.split("_")[0] not in stale},
            created_utc=utc_now(),
        )
        try:
            outcome = STEPS[name].run(context)
        except ValueError as exc:  # a fit could not even start (no light, no dots)
            raise CalibrationError(f"calibration step {name}: {exc}") from exc
        finally:
            self._progress = None
            try:
                capturer.restore_detector()  # a real bench's knob back at the rig file's setting
            except Exception:
                log.exception("could not restore the detector setting after step %s", name)
        result = _with_flag_warnings(outcome.result, capturer.flag_counts, step=name)
        self.steps = StepResults(**kept, **{name: result})
        self.arrays = {**context.arrays, **outcome.arrays}
        for step in stale:
            self.figures.pop(f"{step}.png", None)
        if outcome.figure_png is not None:
            self.figures[f"{name}.png"] = outcome.figure_png
        self.ran.append(name)
        if progress is not None:
            progress(StepProgress(name, 1.0, result.summary))
        return result

    # -- saving ------------------------------------------------------------------------------
    def status(self) -> tuple[Literal["ok", "partial", "failed"], str]:
        failed = [k for k, v in self.steps if v is not None and not v.ok]
        if failed:
            first = getattr(self.steps, failed[0])
            return "failed", f"{failed[0]} step rejected: {first.summary}"
        if self.steps.response is None:
            missing = [
                s for s in ("monitor", "registration", "response") if getattr(self.steps, s) is None
            ]
            return "partial", f"not complete: no {', '.join(missing)} step yet"
        return "ok", f"complete: {self.steps.response.summary}"

    def save(self) -> SavedCalibration:
        """Write the calibration folder; make it current when complete and accepted."""
        capturer = self._require()
        status, message = self.status()
        figures = dict(self.figures)
        if self.base is not None:  # figures of steps carried over from the base folder
            for name, _ in self.steps:
                png = self.base.folder / f"{name}.png"
                if f"{name}.png" not in figures and png.is_file() and getattr(self.steps, name):
                    figures[f"{name}.png"] = png.read_bytes()
        exposure = capturer.exposure_us
        if exposure is None:
            exposure = float(self.rig_config.acquisition.exposure_us)
        content = CalibrationContent(
            created_utc=self.created_utc,
            status=status,
            message=message,
            provenance=make_provenance(
                self.rig_config,
                self.masks,
                devices=capturer.rig.describe(),
                exposure_us=exposure,
                command=self.command,
            ),
            steps=self.steps,
        )
        stored = write_calibration(
            self.rig_dir, content, self.arrays, figures, make_current=status == "ok"
        )
        if status == "ok":
            verdict = f"calibration {stored.folder} is now current for rig {self.rig_config.name!r}"
        else:
            previous = current_folder(self.rig_dir)
            keep = f"{previous}" if previous is not None else "none"
            verdict = f"saved {stored.folder} ({message}); the calibration in force stays: {keep}"
        return SavedCalibration(
            folder=stored.folder,
            status=status,
            made_current=status == "ok",
            message=verdict,
            figures={k.removesuffix(".png"): stored.folder / k for k in figures},
            stored=stored,
        )
