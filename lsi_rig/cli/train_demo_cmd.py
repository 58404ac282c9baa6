"""``lsi-rig models train-demo``: train the demo LSI model on CPU (≤ 30 min, reproducible)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lsi_rig.core.errors import ConfigError

ALLOWED_COUNTS = (4, 8, 16, 32, 64, 128, 256, 512)


def _counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(sorted({int(t) for t in text.split(",") if t.strip()}))
    except ValueError:
        raise ConfigError(
            f"--counts {text!r}: expected comma-separated integers, e.g. 4,16,32"
        ) from None
    bad = [c for c in counts if c not in ALLOWED_COUNTS]
    if not counts or bad:
        raise ConfigError(f"--counts {text!r}: each count must be one of {list(ALLOWED_COUNTS)}")
    return counts


def train_demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for model.json + safetensors.")] = Path(
        "demo-model"
    ),
    counts: Annotated[str, typer.Option(help="Measurement counts to train.")] = "4,16,32,64,128",
    seed: Annotated[int, typer.Option(help="Seed of faces, weights and noise.")] = 0,
    minutes: Annotated[
        float | None,
        typer.Option(
            min=0.05,
            max=600,
            help="Budget on an idle 2-core machine (scales the steps); default: the schedule "
            "of the shipped weights, ≈ 10 min.",
        ),
    ] = None,
    faces: Annotated[int, typer.Option(min=64, help="Training faces to render.")] = 16_000,
    quiet: Annotated[bool, typer.Option(help="No progress lines.")] = False,
) -> None:
    """Train the demo LSI model (masks, encoder, generator, heads) on procedural faces."""
    from lsi_rig.core.paths import make_output_dir
    from lsi_rig.models.demo.export import export_result
    from lsi_rig.models.demo.train import TrainConfig
    from lsi_rig.models.demo.train import train_demo as run

    wanted = _counts(counts)
    make_output_dir(out, what="--out")

    def progress(stage: str, step: int, total: int, loss: float) -> None:
        if not quiet and (step % 100 == 0 or step == total):
            typer.echo(f"{stage:>7}: step {step}/{total}  loss {loss:.4f}", err=True)

    config = TrainConfig(counts=wanted, seed=seed, faces=faces)
    if minutes is not None:
        config = config.for_minutes(minutes)
    result = run(config, progress)
    manifest = export_result(result, out)
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    t = result.timings_s
    typer.echo(
        f"demo model: {manifest} ({size / 1e6:.1f} MB), wall {t['wall_s']:.0f} s, "
        f"CPU {t['cpu_s']:.0f} s"
    )


def register_train_demo(models_app: typer.Typer) -> None:
    """Hook for the ``models`` sub-app (``lsi-rig models train-demo``)."""
    models_app.command("train-demo")(train_demo)
