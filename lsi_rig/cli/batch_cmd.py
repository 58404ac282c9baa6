"""``lsi-rig batch``: capture a whole image set (a CelebA-HQ test split) with resume and QA.

Ctrl-C stops after the current sequence pass (records kept, status interrupted; a second Ctrl-C
leaves at once — the file is crash-safe either way); ``kill -USR1 PID`` pauses and
``kill -USR2 PID`` resumes (POSIX); with ``--on-error pause`` a paused batch also resumes on
Enter when run in a terminal.
"""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from lsi_rig.cli.calibration_option import CalibrationOption, resolve_for_cli
from lsi_rig.core.policy import OnExhausted


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)


class _Console:
    """Progress bars (checking scenes, then capturing) and operator messages, fed by events."""

    def __init__(self, job: Any, *, quiet: bool) -> None:
        self.job = job
        self.quiet = quiet
        self._check: Any = None
        self._bar: Any = None

    def __call__(self, event: Any) -> None:
        from lsi_rig.batch import ScenesChecked
        from lsi_rig.jobs import JobState, RecordCommitted, StateChanged

        from .progress import ProgressBar

        if isinstance(event, ScenesChecked):
            if self._check is None:
                from tqdm import tqdm

                self._check = tqdm(
                    total=event.total,
                    desc="checking scenes",
                    unit="img",
                    disable=self.quiet,
                    file=sys.stderr,
                )
            self._check.update(event.done - self._check.n)
            if event.done == event.total:
                self._check.close()
        elif isinstance(event, RecordCommitted):
            if self._bar is None:
                total = event.progress.records_total
                self._bar = ProgressBar(total, description="batch", enabled=not self.quiet)
            self._bar(event.progress)
        elif isinstance(event, StateChanged) and event.new is JobState.PAUSED:
            typer.echo(
                f"paused: {event.reason}. Resume: press Enter (terminal) or kill -USR2 "
                f"{_pid()}; stop: Ctrl-C",
                err=True,
            )
        elif isinstance(event, StateChanged) and event.old is JobState.PAUSED:
            typer.echo("resumed", err=True)

    def close(self) -> None:
        if self._check is not None:
            self._check.close()
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def _pid() -> int:
    import os

    return os.getpid()


def _install_signals(job: Any) -> dict[int, Any]:
    """SIGUSR1 pauses, SIGUSR2 resumes (the main thread only waits, so the handlers never
    interrupt the job's own locks)."""
    previous: dict[int, Any] = {}
    for name, action in (("SIGUSR1", job.pause), ("SIGUSR2", job.resume)):
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, lambda *_a, act=action: act())
    return previous


def _enter_resumes(job: Any) -> None:
    """In a terminal, Enter resumes a paused batch."""
    from lsi_rig.jobs import JobState

    if not sys.stdin.isatty():
        return

    def read() -> None:
        for _ in sys.stdin:
            if job.state is JobState.PAUSED:
                job.resume()

    threading.Thread(target=read, name="batch stdin", daemon=True).start()


def batch(
    rig: Annotated[str, typer.Option("--rig", help="built-in rig (sim, emulated) or YAML")],
    masks: Annotated[str, typer.Option("--masks", help="mask set: demo:…, CHECKPOINT.pt, …")],
    images: Annotated[
        list[Path] | None,
        typer.Option("--images", help="image folders/files (id = file stem)", show_default=False),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option("--manifest", help="CSV with id,path,split (+ labels)", show_default=False),
    ] = None,
    split_list: Annotated[
        Path | None,
        typer.Option(help="capture only the ids / file names listed (one per line)"),
    ] = None,
    labels: Annotated[
        Path | None, typer.Option(help="CelebA attributes (list_attr_celeba.txt format)")
    ] = None,
    split: Annotated[str, typer.Option(help="split of --images scenes: train or test")] = "test",
    repeats: Annotated[int | None, typer.Option(min=1, help="records per scene")] = None,
    averages: Annotated[int | None, typer.Option(min=1, help="passes averaged per record")] = None,
    settle_s: Annotated[
        float | None, typer.Option(min=0.0, help="monitor settle time per scene (s)")
    ] = None,
    reference_every: Annotated[
        int | None, typer.Option(min=1, help="dark/bright references every K masks")
    ] = None,
    no_references: Annotated[
        bool, typer.Option("--no-references", help="no interleaved references")
    ] = False,
    exposure_us: Annotated[float | None, typer.Option(help="pattern exposure (µs)")] = None,
    complementary: Annotated[
        bool, typer.Option("--complementary", help="differential: mask then complement")
    ] = False,
    order: Annotated[str, typer.Option(help="fixed (manifest order) or shuffled")] = "fixed",
    seed: Annotated[int | None, typer.Option(help="seed of the shuffled order")] = None,
    size: Annotated[int, typer.Option(min=0, help="scenes resized to size×size (0: keep)")] = 256,
    retries: Annotated[
        int, typer.Option(min=0, max=100, help="retries of a record after a transient fault")
    ] = 2,
    on_error: Annotated[
        OnExhausted, typer.Option(help="when retries are used up: skip, pause or fail")
    ] = OnExhausted.SKIP,
    out: Annotated[
        Path | None, typer.Option("--out", help="new session file (.h5)", show_default=False)
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option("--resume", help="continue this interrupted batch", show_default=False),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="resume although rig, masks or scenes differ")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace an existing output file")
    ] = False,
    report_dir: Annotated[
        Path | None, typer.Option(help="QA report folder (default: <out stem>_report)")
    ] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="no QA report at the end")] = False,
    calibration: CalibrationOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bars")] = False,
) -> None:
    """Capture an image set through a rig into one session, with ground truth and a QA report."""
    from lsi_rig.batch import (
        BatchJob,
        BatchRequest,
        BatchSettings,
        ScanOrder,
        batch_scenes,
        read_celeba_attributes,
    )
    from lsi_rig.config import load_rig
    from lsi_rig.core.errors import SessionError
    from lsi_rig.core.paths import check_output_path
    from lsi_rig.decode.model_masks import load_masks
    from lsi_rig.engine.policy import ErrorPolicy

    if (out is None) == (resume is None):
        raise SessionError("give either --out NEW.h5 or --resume INTERRUPTED.h5")
    try:
        scan_order = ScanOrder(order)
    except ValueError:
        raise SessionError(f"--order {order!r}: use fixed or shuffled") from None
    if out is not None:
        check_output_path(out, overwrite=overwrite)
    rig_config = load_rig(rig)
    mask_set = load_masks(masks, complementary=complementary)
    if (images is None) == (manifest is None):
        raise SessionError("give either --manifest FILE.csv or --images DIR")
    scenes = batch_scenes(manifest=manifest, images=images, split_list=split_list, split=split)
    attributes = read_celeba_attributes(labels) if labels is not None else None
    settings = BatchSettings(
        repeats=repeats,
        averages=averages,
        settle_s=settle_s,
        reference_every=reference_every,
        no_references=no_references,
        exposure_us=exposure_us,
        order=scan_order,
        seed=seed,
        size=size or None,
    )
    target = resume if resume is not None else out
    assert target is not None
    request = BatchRequest(
        rig_config=rig_config,
        masks=mask_set,
        manifest=scenes,
        out=target,
        settings=settings,
        attributes=attributes,
        split_list=str(split_list) if split_list is not None else None,
        resume=resume is not None,
        force=force,
        overwrite=overwrite,
        policy=ErrorPolicy(retries=retries, on_exhausted=on_error),
        calibration=resolve_for_cli(rig_config, calibration, mask_set),
        write_report=not no_report,
        report_dir=report_dir,
        command="lsi-rig " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
    )
    _run(BatchJob(request), quiet=quiet)


def _run(job: Any, *, quiet: bool) -> None:
    console = _Console(job, quiet=quiet)
    job.subscribe(console)
    previous = _install_signals(job)
    _enter_resumes(job)
    interrupted = False
    job.start()
    try:
        while not job.finished:
            job.wait(0.2)
    except KeyboardInterrupt:
        interrupted = True
        typer.echo("\nstopping after the current pass (Ctrl-C again to leave now)...", err=True)
        job.stop()
        job.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        console.close()
    if job.error is not None:
        raise job.error
    _report(job, interrupted=interrupted)


def _report(job: Any, *, interrupted: bool) -> None:
    result = job.result
    capture = result.job
    summary = capture.summary
    if capture.path is None or summary is None:
        typer.echo("batch cancelled before capture started: no file written", err=True)
        raise KeyboardInterrupt  # main() reports it and exits 130
    flags = ", ".join(f"{k}={v}" for k, v in sorted(summary.flag_counts.items())) or "none"
    skipped = f", {len(summary.skipped)} skipped" if summary.skipped else ""
    done = summary.records_before + summary.records_written
    typer.echo(
        f"{capture.path}: {done}/{summary.records_planned} records{skipped}, "
        f"status {capture.status}, flags {flags}"
    )
    if result.unlabelled:
        typer.echo(f"{len(result.unlabelled)} scene(s) without labels", err=True)
    if result.report_dir is not None:
        typer.echo(f"QA report: {result.report_dir / 'report.txt'}")
    if capture.status != "complete":
        typer.echo(f"continue with: lsi-rig batch ... --resume {capture.path}", err=True)
    if interrupted:
        raise KeyboardInterrupt  # main() reports it and exits 130
