"""``lsi-rig report``: the QA report of a session (text or JSON; PNG plots with --out)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    path: Annotated[Path, typer.Argument(help="session file (.h5)")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="folder for report.txt, report.json and PNG plots"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
    plots: Annotated[bool, typer.Option(help="write PNG plots (with --out)")] = True,
) -> None:
    """Flags by kind, reference drift, timing, saturation, skipped scenes and throughput."""
    from lsi_rig.batch import build_report, write_report
    from lsi_rig.core.errors import SessionError

    qa = build_report(path)
    typer.echo(qa.to_json() if as_json else qa.to_text())
    if out is not None:
        if out.exists() and not out.is_dir():
            raise SessionError(f"--out {out}: a file of that name exists; give a folder")
        try:
            written = write_report(qa, out, plots=plots)
        except OSError as exc:
            raise SessionError(f"--out {out}: cannot write the report ({exc.strerror})") from exc
        typer.echo(f"wrote {len(written)} file(s) to {out}", err=True)
