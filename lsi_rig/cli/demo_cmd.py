"""``lsi-rig demo``: the main job on the embedded default (no hardware, no GPU, no files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out_dir: Annotated[
        Path | None, typer.Option(help="session folder (default: the rig's sessions_dir)")
    ] = None,
    rig: Annotated[str, typer.Option(help="rig to simulate")] = "sim",
    masks: Annotated[str, typer.Option(help="a Walsh–Hadamard demo set")] = "demo:hadamard32",
    scenes: Annotated[int, typer.Option(min=1, help="number of demo scenes")] = 8,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
) -> None:
    """Capture demo faces and targets on the simulated rig; write the session and PNGs."""
    from lsi_rig.demo import run_demo

    from .progress import ProgressBar

    with ProgressBar(scenes, description="demo", enabled=not quiet) as bar:
        result = run_demo(out_dir=out_dir, rig=rig, masks=masks, n_scenes=scenes, on_progress=bar)
    summary = result.capture.summary
    typer.echo(
        f"session: {result.capture.path} ({summary.records_written} records, "
        f"status {result.capture.status})"
    )
    if result.images:
        typer.echo(f"images:  {result.images[0].parent}/ ({len(result.images)} PNGs)")
        scores = sorted(result.psnr_db)
        typer.echo(
            "reconstruction PSNR vs detector view: "
            f"min {scores[0]:.1f} dB, median {scores[len(scores) // 2]:.1f} dB"
        )
    typer.echo(f"next:    lsi-rig inspect {result.capture.path}")
