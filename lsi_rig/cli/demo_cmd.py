"""``lsi-rig demo``: the main job on the embedded default (no hardware, no GPU, no files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

MAX_SCENES = 10_000


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out_dir: Annotated[
        Path | None, typer.Option(help="session folder (default: the rig's sessions_dir)")
    ] = None,
    rig: Annotated[str, typer.Option(help="rig to simulate")] = "sim",
    masks: Annotated[
        str,
        typer.Option(
            help="demo:lsi[:N] (the demo LSI model: faces, segmentation, landmarks, attributes "
            "from N = 4|16|32|64|128 numbers) or demo:hadamard16|32|64 (exact linear "
            "reconstruction)"
        ),
    ] = "demo:lsi",
    scenes: Annotated[int, typer.Option(min=1, max=MAX_SCENES, help="number of demo scenes")] = 8,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
) -> None:
    """Latent-space imaging on the simulated rig: capture faces, decode them, write panels."""
    from lsi_rig.config import load_rig
    from lsi_rig.core.paths import check_output_dir
    from lsi_rig.demo import run_demo

    from .progress import ProgressBar

    folder = out_dir if out_dir is not None else Path(load_rig(rig).paths.sessions_dir)
    check_output_dir(folder, what="demo --out-dir" if out_dir is not None else "sessions folder")
    out_dir = folder
    with ProgressBar(scenes, description="demo", enabled=not quiet) as bar:
        result = run_demo(out_dir=out_dir, rig=rig, masks=masks, n_scenes=scenes, on_progress=bar)
    summary = result.capture.summary
    typer.echo(
        f"session: {result.capture.path} ({summary.records_written} records, "
        f"status {result.capture.status})"
    )
    if result.images:
        what = (
            "scene | reconstruction | segmentation | landmarks"
            if result.kind == "lsi"
            else "detector view | reconstruction"
        )
        typer.echo(f"panels:  {result.images[0].parent}/ ({len(result.images)} PNGs: {what})")
    for table in result.tables:
        typer.echo(f"table:   {table}")
    for line in result.summary:
        typer.echo(line)
    typer.echo(f"next:    lsi-rig inspect {result.capture.path}   ·   lsi-rig gui --rig {rig}")
