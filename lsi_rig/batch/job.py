"""A batch: a :class:`~lsi_rig.jobs.CaptureJob` over a manifest, with ground truth and a report.

There is no second acquisition loop here. A batch builds the capture job's scene source from the
manifest (checked and hashed up front, loaded ahead during the capture), puts the order, splits
and labels into the session's metadata, runs the job — pause, resume, stop, the error policy,
``--resume`` and progress are the job's — and writes the QA report when it ends. A resumed batch
takes its order and settings from the session, so it continues exactly where it stopped.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsi_rig.batch.celeba import AttributeTable
from lsi_rig.batch.ground_truth import batch_extra, batch_info
from lsi_rig.batch.manifest import Manifest, ManifestEntry
from lsi_rig.batch.order import ScanOrder, choose_seed, scene_order
from lsi_rig.batch.scenes import PrefetchingScenes, manifest_scene_source
from lsi_rig.config.schema import RigConfig
from lsi_rig.core.calibration import AppliedCalibration
from lsi_rig.core.errors import CaptureStopped, SessionError
from lsi_rig.engine import Progress
from lsi_rig.engine.policy import ErrorPolicy
from lsi_rig.jobs import CaptureJob, CaptureRequest, JobEvent, JobResult, JobState, plan_from_config
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.rig import Rig

log = logging.getLogger(__name__)

#: Settings a resumed batch takes from its session (they shape the plan and its records).
PLAN_KEYS = ("repeats", "averages", "settle_s", "reference_every", "no_references", "exposure_us")


@dataclass(frozen=True)
class BatchSettings:
    """Per-batch choices; None keeps the rig's acquisition default."""

    repeats: int | None = None
    averages: int | None = None
    settle_s: float | None = None
    reference_every: int | None = None
    no_references: bool = False
    exposure_us: float | None = None
    order: ScanOrder = ScanOrder.FIXED
    seed: int | None = None
    size: int | None = 256

    def stored(self) -> dict[str, Any]:
        return {k: (v.value if isinstance(v, ScanOrder) else v) for k, v in vars(self).items()}

    @classmethod
    def from_stored(cls, values: dict[str, Any]) -> BatchSettings:
        known = {f.name for f in dataclasses.fields(cls)}
        kept = {k: v for k, v in values.items() if k in known}
        kept["order"] = ScanOrder(kept.get("order", "fixed"))
        return cls(**kept)


@dataclass(frozen=True)
class BatchRequest:
    """Everything a batch needs. ``calibration``: scenes are shown through the monitor
    linearisation and vectors calibrated (``CaptureRequest.calibration``). ``report_dir``: where
    the QA report goes at the end (None: ``<session stem>_report`` beside the session)."""

    rig_config: RigConfig
    masks: MaskSet
    manifest: Manifest
    out: Path
    settings: BatchSettings = field(default_factory=BatchSettings)
    attributes: AttributeTable | None = None
    split_list: str | None = None
    resume: bool = False
    force: bool = False
    overwrite: bool = False
    policy: ErrorPolicy = field(default_factory=ErrorPolicy)
    calibration: AppliedCalibration | None = None
    write_report: bool = True
    report_dir: Path | None = None
    command: str = ""

    def default_report_dir(self) -> Path:
        out = self.out.expanduser().absolute()
        return out.with_name(f"{out.stem}_report")


@dataclass(frozen=True)
class ScenesChecked:
    """Preparation progress: ``done`` of ``total`` images decoded and hashed."""

    done: int
    total: int


@dataclass(frozen=True)
class ReportWritten:
    directory: Path
    report: Any  # lsi_rig.batch.report.QaReport


BatchEvent = JobEvent | ScenesChecked | ReportWritten
Listener = Callable[[BatchEvent], None]


@dataclass(frozen=True)
class BatchResult:
    job: JobResult
    report_dir: Path | None = None
    unlabelled: tuple[str, ...] = ()


class BatchJob:
    """One batch (see module docstring); steer it like a capture job, from any thread."""

    def __init__(self, request: BatchRequest, *, rig: Rig | None = None) -> None:
        self.request = request
        self._rig = rig
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._capture: CaptureJob | None = None
        self._scenes: PrefetchingScenes | None = None
        self._stop = threading.Event()
        self._pause_reason: str | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._result: BatchResult | None = None
        self._state = JobState.IDLE
        self._error: BaseException | None = None
        self.unlabelled: list[str] = []

    # -- observing ---------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """``listener(event)`` runs in the batch's thread: capture-job events plus
        :class:`ScenesChecked` and :class:`ReportWritten`."""
        self._listeners.append(listener)

    def _emit(self, event: BatchEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("batch listener %r failed on %s", listener, event)

    @property
    def state(self) -> JobState:
        capture = self._capture
        return capture.state if capture is not None else self._state

    @property
    def progress(self) -> Progress | None:
        capture = self._capture
        return capture.progress if capture is not None else None

    @property
    def capture(self) -> CaptureJob | None:
        return self._capture

    # -- steering (any thread) ---------------------------------------------------------------
    def pause(self, reason: str = "paused by the operator") -> None:
        with self._lock:
            if self._capture is None:
                self._pause_reason = reason
                return
        self._capture.pause(reason)

    def resume(self) -> None:
        with self._lock:
            if self._capture is None:
                self._pause_reason = None
                return
        self._capture.resume()

    def stop(self) -> None:
        """Stop within one sequence pass (or while the scenes are being checked: no file)."""
        self._stop.set()
        with self._lock:
            capture = self._capture
        if capture is not None:
            capture.stop()

    # -- preparing ---------------------------------------------------------------------------
    def _checked(self, done: int, total: int) -> None:
        if self._stop.is_set():
            raise CaptureStopped("batch stopped while its scenes were being checked")
        self._emit(ScenesChecked(done, total))

    def prepare(self) -> CaptureJob:
        """Check every image, build the plan and the capture job (idempotent)."""
        if self._capture is not None:
            return self._capture
        request = self.request
        self._state = JobState.PREPARING
        entries, settings, first = self._entries_and_settings()
        source = manifest_scene_source(entries, size=settings.size, on_checked=self._checked)
        scenes = PrefetchingScenes(source, first=first)
        overrides = {k: getattr(settings, k) for k in PLAN_KEYS if k != "no_references"}
        try:
            plan = plan_from_config(
                request.rig_config.acquisition, scenes=scenes, masks=request.masks, **overrides
            )
            if settings.no_references:
                plan = dataclasses.replace(plan, reference_every=None)
            effective = dataclasses.replace(
                settings,
                repeats=plan.repeats,
                averages=plan.averages,
                settle_s=plan.settle_s,
                reference_every=plan.reference_every,
                exposure_us=plan.exposure_us,
            )
            extra, self.unlabelled = batch_extra(
                entries,
                self._stored_settings(entries, effective),
                label_names=request.manifest.label_names,
                attributes=request.attributes,
            )
        except BaseException:
            scenes.close()
            raise
        if self.unlabelled:
            log.warning(
                "%d of %d scenes have no line in %s (stored as 0), e.g. %s",
                len(self.unlabelled),
                len(entries),
                request.attributes.source if request.attributes else "the labels",
                ", ".join(self.unlabelled[:5]),
            )
        capture_request = CaptureRequest(
            rig_config=request.rig_config,
            plan=plan,
            out=request.out,
            overwrite=request.overwrite,
            resume=request.resume,
            force=request.force,
            command=request.command,
            policy=request.policy,
            calibration=request.calibration,
            extra=extra,
        )
        capture = CaptureJob(capture_request, rig=self._rig)
        for listener in self._listeners:
            capture.subscribe(listener)
        with self._lock:
            self._capture, self._scenes = capture, scenes
            pause = self._pause_reason
        if self._stop.is_set():
            capture.stop()
        elif pause is not None:
            capture.pause(pause)
        return capture

    def _entries_and_settings(self) -> tuple[list[ManifestEntry], BatchSettings, int]:
        """Scenes in display order, the settings, and the first scene still to measure."""
        request = self.request
        manifest = request.manifest
        if not request.resume:
            settings = request.settings
            seed = choose_seed(settings.order, settings.seed)
            settings = dataclasses.replace(settings, seed=seed)
            order = scene_order(len(manifest), settings.order, seed)
            return [manifest.entries[int(i)] for i in order], settings, 0
        return _resumed_entries(request.out, manifest, request.settings)

    def _stored_settings(
        self, entries: list[ManifestEntry], settings: BatchSettings
    ) -> dict[str, Any]:
        request = self.request
        counts = {"train": 0, "test": 0}
        for entry in entries:
            counts[entry.split] += 1
        return {
            **settings.stored(),
            "manifest": request.manifest.source,
            "split_list": request.split_list,
            "labels": request.attributes.source if request.attributes else None,
            "n_scenes": len(entries),
            "split_counts": counts,
            "calibration_sha256": (
                request.calibration.snapshot.sha256 if request.calibration is not None else None
            ),
        }

    # -- running -----------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("batch already started")
        self._thread = threading.Thread(target=self._run_quietly, name="batch")
        self._thread.start()

    def wait(self, timeout: float | None = None) -> BatchResult | None:
        self._done.wait(timeout)
        return self._result

    @property
    def result(self) -> BatchResult | None:
        return self._result

    @property
    def finished(self) -> bool:
        """True once :meth:`run` returned or raised."""
        return self._done.is_set()

    @property
    def error(self) -> BaseException | None:
        """What ended a batch started with :meth:`start` (None: it ended without error)."""
        return self._error

    def _run_quietly(self) -> None:
        try:
            self.run()
        except BaseException as exc:  # reported through the events, the result and .error
            self._error = exc

    def run(self) -> BatchResult:
        """Prepare, capture, report, in the caller's thread; re-raises what ended the capture
        (after the session was closed and the report written)."""
        try:
            return self._run()
        finally:
            self._done.set()

    def _run(self) -> BatchResult:
        try:
            capture = self.prepare()
        except CaptureStopped:
            self._state = JobState.CANCELLED
            self._result = BatchResult(JobResult(JobState.CANCELLED, None, None, None))
            return self._result
        except BaseException:
            self._state = JobState.FAILED
            raise
        try:
            job_result = capture.run()
        except KeyboardInterrupt:
            raise  # the session is closed "interrupted"; the user asked to leave now
        except BaseException:
            failed = capture.result or JobResult(JobState.FAILED, None, None, None)
            self._result = BatchResult(failed, self._report(), tuple(self.unlabelled))
            raise
        finally:
            assert self._scenes is not None
            self._scenes.close()
        self._result = BatchResult(job_result, self._report(), tuple(self.unlabelled))
        return self._result

    def _report(self) -> Path | None:
        """Write the QA report of the session (never raises: the capture's outcome wins)."""
        request = self.request
        capture = self._capture
        path = capture.result.path if capture is not None and capture.result else None
        if not request.write_report or path is None or not path.exists():
            return None
        directory = request.report_dir or request.default_report_dir()
        try:
            from lsi_rig.batch.report import build_report, write_report

            report = build_report(path)
            write_report(report, directory)
        except Exception as exc:
            log.warning("QA report of %s not written: %s", path, exc)
            return None
        self._emit(ReportWritten(directory, report))
        return directory


def _resumed_entries(
    out: Path, manifest: Manifest, given: BatchSettings
) -> tuple[list[ManifestEntry], BatchSettings, int]:
    """The manifest entries in the session's stored order, the session's settings, and the
    first scene with records still to measure."""
    from lsi_rig.storage import open_session

    path = out.expanduser().absolute()
    if not path.is_file():
        raise SessionError(f"--resume {path}: no such session file")
    with open_session(path) as reader:
        info = batch_info(reader.extra)
        stored_ids = [s.scene_id for s in reader.scenes()]
        table = reader.records_table()
    if info is None:
        raise SessionError(
            f"cannot resume {path} as a batch: it holds no batch metadata (a plain capture? "
            "resume it with lsi-rig capture --resume)"
        )
    settings = BatchSettings.from_stored(info.settings)
    by_id = {e.scene_id: e for e in manifest.entries}
    missing = [i for i in stored_ids if i not in by_id]
    if missing or len(stored_ids) != len(manifest):
        detail = (
            f"scene {missing[0]!r} of the session is not in {manifest.source}"
            if missing
            else f"the session has {len(stored_ids)} scenes, the manifest {len(manifest)}"
        )
        raise SessionError(
            f"cannot resume {path}: {detail}; give the manifest and split list it was started with"
        )
    differing = [
        k
        for k in (*PLAN_KEYS, "order", "seed", "size")
        if _given(given, k) not in (None, False) and _given(given, k) != getattr(settings, k)
    ]
    if differing:
        log.warning(
            "resuming %s with its stored settings; ignoring the given %s",
            path.name,
            ", ".join(differing),
        )
    done = set(zip(table["scene_index"].tolist(), table["repeat_index"].tolist(), strict=True))
    repeats = settings.repeats or 1
    first = next(
        (s for s in range(len(stored_ids)) if any((s, r) not in done for r in range(repeats))),
        0,
    )
    return [by_id[i] for i in stored_ids], settings, first


def _given(settings: BatchSettings, key: str) -> Any:
    value = getattr(settings, key)
    defaults = BatchSettings()
    return None if value == getattr(defaults, key) else value
