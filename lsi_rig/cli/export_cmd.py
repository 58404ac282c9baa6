"""``lsi-rig export`` and ``lsi-rig import``: measurements for the official LSI code and back."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from lsi_rig.export.options import ExportFormat, RepeatMode, VectorChoice


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("import")(import_)


def export(
    path: Annotated[Path, typer.Argument(help="session file (.h5)")],
    out: Annotated[Path, typer.Option("--out", help="new (or empty) export folder")],
    format_: Annotated[
        ExportFormat,
        typer.Option("--format", help="latent-imaging (official layouts), npz or csv"),
    ] = ExportFormat.LATENT_IMAGING,
    repeats: Annotated[
        RepeatMode, typer.Option(help="mean: one vector per scene; all: <id>_r<k> per record")
    ] = RepeatMode.MEAN,
    include_flagged: Annotated[
        bool, typer.Option(help="keep flagged records (saturated, missing edges, ...)")
    ] = False,
    vectors: Annotated[
        VectorChoice,
        typer.Option(help="calibrated (when the session has them) or raw offset-corrected volts"),
    ] = VectorChoice.CALIBRATED,
    batch_size: Annotated[
        int, typer.Option(min=1, help="warn when a split holds fewer files than this")
    ] = 8,
    split: Annotated[
        str, typer.Option(help="split of scenes the session gives none (non-batch sessions)")
    ] = "test",
) -> None:
    """Export a session's vectors (and ground truth) for the official LSI code."""
    from lsi_rig.export.export import export_session
    from lsi_rig.export.options import ExportOptions

    options = ExportOptions(
        format=format_,
        repeats=repeats,
        include_flagged=include_flagged,
        vectors=vectors,
        batch_size=batch_size,
        default_split=split,
    )
    result = export_session(path, out, options)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    counts = result.manifest["counts"]
    typer.echo(
        f"{result.out}: {counts['exported']} vector(s) ({counts['train']} train, "
        f"{counts['test']} test), values {result.manifest['values']}"
    )


def import_(
    source: Annotated[Path, typer.Argument(help="folder holding datasets/real/<n>/*.npz")],
    out: Annotated[Path, typer.Option("--out", help="new session file (.h5)")],
    n: Annotated[
        int | None, typer.Option("--n", min=1, help="which <n> folder (when several)")
    ] = None,
    masks: Annotated[
        str | None,
        typer.Option(help="the mask set the vectors were measured with (default: unknown)"),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="replace an existing output file")] = False,
) -> None:
    """Turn official measurement files into a session (no rig; provenance: imported)."""
    from lsi_rig.decode.model_masks import load_masks
    from lsi_rig.export.importer import import_measurements

    mask_set = load_masks(masks) if masks is not None else None
    result = import_measurements(
        source,
        out,
        n=n,
        masks=mask_set,
        overwrite=overwrite,
        command="lsi-rig " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
    )
    typer.echo(
        f"{result.path}: {result.records} vector(s) of {result.n} values, {result.scenes} "
        f"scene(s), {result.images} with ground-truth image"
    )
