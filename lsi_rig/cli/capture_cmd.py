"""``lsi-rig capture``: measure images through a rig into a new HDF5 session file.

Counts and sizes are bounded so a typo cannot ask for days of capture or gigabytes of scene
memory (the limits are in ``README.md``): ``--repeats`` 1..100000, ``--averages`` 1..10000,
``--reference-every`` 1..4096, ``--size`` 0 (keep) or 1..4096 pixels, ``--exposure-us`` up to
10 s.
"""

from __future__ import annotations

import dataclasses
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from lsi_rig.cli.calibration_option import CalibrationOption, resolve_for_cli
from lsi_rig.core.policy import OnExhausted

MAX_REPEATS = 100_000
MAX_AVERAGES = 10_000
MAX_REFERENCE_EVERY = 4096
MAX_SIZE_PX = 4096
MAX_EXPOSURE_US = 10_000_000.0


def register(app: typer.Typer) -> None:
    app.command("capture")(capture)


def capture(
    rig: Annotated[
        str, typer.Option("--rig", help="built-in rig (sim, sim-ideal, emulated) or YAML")
    ],
    masks: Annotated[
        str, typer.Option("--masks", help="demo:hadamard32, CHECKPOINT.pt, MASKS.npy/.npz, PNG dir")
    ],
    images: Annotated[
        list[Path], typer.Option("--images", help="image files or folders (several allowed)")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="new session file (.h5)", show_default=False)
    ] = None,
    more_images: Annotated[
        list[Path] | None, typer.Argument(help="more image files/folders", show_default=False)
    ] = None,
    repeats: Annotated[
        int | None, typer.Option(min=1, max=MAX_REPEATS, help="records per scene")
    ] = None,
    averages: Annotated[
        int | None, typer.Option(min=1, max=MAX_AVERAGES, help="passes averaged per record")
    ] = None,
    exposure_us: Annotated[
        float | None, typer.Option(min=1.0, max=MAX_EXPOSURE_US, help="pattern exposure (µs)")
    ] = None,
    reference_every: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_REFERENCE_EVERY, help="dark/bright references every K masks"),
    ] = None,
    no_references: Annotated[bool, typer.Option(help="no interleaved references")] = False,
    complementary: Annotated[bool, typer.Option(help="differential: mask then complement")] = False,
    keep_trace: Annotated[bool, typer.Option(help="store raw DAQ traces")] = False,
    size: Annotated[
        int, typer.Option(min=0, max=MAX_SIZE_PX, help="resize scenes to size×size (0: keep)")
    ] = 256,
    overwrite: Annotated[bool, typer.Option(help="replace an existing output file")] = False,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            help="continue this interrupted session: skip its committed records",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="resume although rig, masks, scenes or calibration differ")
    ] = False,
    retries: Annotated[
        int, typer.Option(min=0, max=100, help="retries of a record after a transient fault")
    ] = 2,
    on_error: Annotated[
        OnExhausted,
        typer.Option(
            help="when retries are used up: skip the record (resume measures it again), "
            "pause for the operator, or fail the run",
        ),
    ] = OnExhausted.SKIP,
    calibration: CalibrationOption = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
) -> None:
    """Capture measurement vectors of images through a rig into a session file."""
    from lsi_rig.config import load_rig
    from lsi_rig.core.errors import SessionError
    from lsi_rig.core.paths import check_output_path
    from lsi_rig.decode.model_masks import load_masks
    from lsi_rig.engine.policy import ErrorPolicy
    from lsi_rig.jobs import CaptureJob, CaptureRequest, RecordCommitted, plan_from_config
    from lsi_rig.scenes.source import file_scene_source
    from lsi_rig.storage import check_not_locked

    from .progress import ProgressBar

    if (out is None) == (resume is None):
        raise SessionError("give either --out NEW.h5 or --resume INTERRUPTED.h5")
    if out is not None:
        check_output_path(out, overwrite=overwrite)
        check_not_locked(out)
    rig_config = load_rig(rig)
    mask_set = load_masks(masks, complementary=complementary)
    scenes = file_scene_source([*images, *(more_images or [])], size=size or None)
    overrides: dict[str, object] = {
        "repeats": repeats,
        "averages": averages,
        "exposure_us": exposure_us,
        "reference_every": reference_every,
        "keep_trace": keep_trace or None,
    }
    plan = plan_from_config(rig_config.acquisition, scenes=scenes, masks=mask_set, **overrides)
    if no_references:
        plan = dataclasses.replace(plan, reference_every=None)
    command = "lsi-rig " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    request = CaptureRequest(
        rig_config=rig_config,
        plan=plan,
        out=resume if resume is not None else out,  # type: ignore[arg-type]
        overwrite=overwrite,
        resume=resume is not None,
        force=force,
        command=command,
        policy=ErrorPolicy(retries=retries, on_exhausted=on_error),
        calibration=resolve_for_cli(rig_config, calibration, mask_set),
    )
    job = CaptureJob(request)
    with ProgressBar(plan.n_records, description="capture", enabled=not quiet) as bar:
        job.subscribe(lambda e: bar(e.progress) if isinstance(e, RecordCommitted) else None)
        result = job.run()
    summary = result.summary
    assert summary is not None
    flags = ", ".join(f"{k}={v}" for k, v in sorted(summary.flag_counts.items())) or "none"
    skipped = f", {len(summary.skipped)} skipped" if summary.skipped else ""
    done = summary.records_before + summary.records_written
    typer.echo(
        f"{result.path}: {done}/{summary.records_planned} records{skipped}, "
        f"status {result.status}, flags {flags}"
    )
