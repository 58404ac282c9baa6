"""``lsi-rig calibrate STEP``: run calibration wizards on a rig and save a calibration folder."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from lsi_rig.calibration import StepProgress
    from lsi_rig.config.schema import RigConfig
    from lsi_rig.masks.maskset import MaskSet


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate)


def calibrate(
    step: Annotated[
        str,
        typer.Argument(
            help="dark, gain, monitor, registration, response, check, or all (in that order)"
        ),
    ],
    rig: Annotated[
        str, typer.Option("--rig", help="built-in rig (sim, sim-ideal, emulated) or YAML")
    ],
    masks: Annotated[
        str | None,
        typer.Option(
            "--masks",
            help="the mask set captures will use (default: that of the rig's last calibration)",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="calibration root folder (default: the rig's paths.calibration_dir)",
            show_default=False,
        ),
    ] = None,
    images: Annotated[
        list[Path] | None,
        typer.Option("--images", help="response step: your own images instead of the built-in set"),
    ] = None,
    levels: Annotated[int, typer.Option(help="monitor: ramp levels per channel (3 to 64)")] = 10,
    walsh_order: Annotated[
        int, typer.Option(help="registration: Walsh–Hadamard order (16, 32 or 64)")
    ] = 32,
    check_seconds: Annotated[
        float, typer.Option(help="check: how long to watch the bright level (rig clock)")
    ] = 120.0,
    quiet: Annotated[bool, typer.Option(help="no progress lines")] = False,
) -> None:
    """Measure the rig and save a calibration (dark, gain, monitor, registration, response).

    Saved under <root>/<rig>/<UTC time>/; a complete, accepted one becomes current.
    """
    from lsi_rig.calibration import STEP_ORDER, CalibrationSession, CalibrationSettings
    from lsi_rig.calibration.errors import CalibrationError
    from lsi_rig.config import load_rig

    if step != "all" and step not in STEP_ORDER:
        raise CalibrationError(
            f"unknown calibration step {step!r}; choose one of {', '.join(STEP_ORDER)} or all"
        )
    if walsh_order not in (16, 32, 64):
        raise CalibrationError(f"--walsh-order {walsh_order}: use 16, 32 or 64")
    if not 3 <= levels <= 64:
        raise CalibrationError(f"--levels {levels}: use 3 to 64 ramp levels")
    if not check_seconds >= 0:
        raise CalibrationError(f"--check-seconds {check_seconds:g}: must be 0 or more")
    rig_config = load_rig(rig)
    mask_set = _masks(rig_config, masks, out)
    response_images = None
    if images:
        from lsi_rig.scenes.loading import load_scenes

        response_images = load_scenes(list(images), size=256)
    settings = CalibrationSettings(
        monitor_levels=levels,
        walsh_order=walsh_order,
        response_images=response_images,
        check_duration_s=check_seconds,
        check_interval_s=max(min(10.0, check_seconds / 4), 1e-3),
    )
    steps = list(STEP_ORDER) if step == "all" else [step]
    typer.echo(
        f"calibrate {step} on rig {rig_config.name!r} for masks {mask_set.name} "
        f"({mask_set.n} × {mask_set.shape[0]}x{mask_set.shape[1]}, sha256 {mask_set.sha256[:12]})"
    )
    command = "lsi-rig " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    printer = _ProgressPrinter(enabled=not quiet)
    with CalibrationSession(
        rig_config,
        mask_set,
        root=out,
        settings=settings,
        operator=_ask_operator,
        base=None if step == "all" else "auto",
        command=command,
    ) as session:
        if session.base is not None:
            typer.echo(f"building on {session.base.folder}")
        accepted = True
        for name in steps:
            result = session.run_step(name, progress=printer)
            printer.clear()
            mark = "ok" if result.ok else "REJECTED"
            typer.echo(f"[{name}] {mark}: {result.summary}")
            for warning in result.warnings:
                typer.echo(f"[{name}] warning: {warning}")
            if not result.ok:
                accepted = False
                break
        saved = session.save()
    for name, path in saved.figures.items():
        typer.echo(f"[{name}] figure: {path}")
    typer.echo(saved.message)
    if not accepted:
        raise typer.Exit(1)


def _masks(rig_config: RigConfig, spec: str | None, root: Path | None) -> MaskSet:
    from lsi_rig.calibration.errors import CalibrationError
    from lsi_rig.calibration.store import list_calibrations, read_calibration, rig_folder
    from lsi_rig.decode.model_masks import load_masks

    if spec is not None:
        return load_masks(spec)
    for folder in reversed(list_calibrations(rig_folder(rig_config, root))):
        try:
            info = read_calibration(folder).content.provenance.masks
        except CalibrationError:
            continue
        masks = load_masks(info.source)
        if masks.sha256 == info.sha256:
            return masks
    raise CalibrationError(
        f"give --masks SPEC: no earlier calibration of rig {rig_config.name!r} names a mask set "
        "that can be loaded again"
    )


def _ask_operator(message: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return typer.confirm(f"{message}; done?", default=True)


class _ProgressPrinter:
    """One transient status line on stderr, refreshed at most 4 times a second."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._last = 0.0
        self._width = 0

    def __call__(self, progress: StepProgress) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.25 and progress.fraction < 1.0):
            return
        self._last = now
        line = f"  {progress.step} {progress.fraction * 100:3.0f}%  {progress.message}"[:110]
        sys.stderr.write("\r" + line.ljust(self._width))
        sys.stderr.flush()
        self._width = len(line)

    def clear(self) -> None:
        if self.enabled and self._width:
            sys.stderr.write("\r" + " " * self._width + "\r")
            sys.stderr.flush()
            self._width = 0
