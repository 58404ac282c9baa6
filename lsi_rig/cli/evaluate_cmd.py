"""``lsi-rig evaluate``: the paper's Table 1 protocol across measurement counts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lsi_rig.core.errors import ConfigError


def evaluate(
    model: Annotated[
        str, typer.Option(help="demo | demo:N | demo weights DIR[:N] | checkpoint .pt")
    ],
    images: Annotated[str, typer.Option(help="procedural:K[:FAMILY] or a folder of images.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for tables, plots, sessions.")],
    rig: Annotated[
        str | None, typer.Option(help="sim | sim-ideal | RIG.yaml (default sim without --session)")
    ] = None,
    session: Annotated[
        list[Path] | None, typer.Option(help="Captured session(s) to decode instead; repeatable.")
    ] = None,
    generator: Annotated[
        Path | None, typer.Option(help="ffhq256.pkl or cache (official checkpoints only).")
    ] = None,
    counts: Annotated[str | None, typer.Option(help="Counts of the demo model, e.g. 4,32.")] = None,
    labels: Annotated[
        Path | None, typer.Option(help="list_attr_celeba.txt for a folder of CelebA images.")
    ] = None,
    identity: Annotated[
        bool | None, typer.Option(help="Dlib recognition rate (default: when installed).")
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Vectors per decode call.")] = 50,
) -> None:
    """Score a model the way the paper's Table 1 does, on the sim rig or captured sessions."""
    from lsi_rig.core.paths import make_output_dir
    from lsi_rig.evaluation.groundtruth import image_truth, parse_procedural, procedural_truth
    from lsi_rig.evaluation.identity import identity_available
    from lsi_rig.evaluation.protocol import demo_models, official_model, run_evaluation

    from .train_demo_cmd import _counts

    wanted = _counts(counts) if counts else None
    rig_name = rig if rig is not None or session else "sim"
    if rig_name is not None:
        from lsi_rig.config import load_rig

        load_rig(rig_name)  # a bad rig fails now, before any model or image is loaded
    if model.endswith(".pt"):
        if wanted:
            raise ConfigError("--counts applies to the demo model; a checkpoint has one count")
        models = [official_model(Path(model), generator)]
    elif model == "demo" or model.startswith("demo:") or Path(model.rsplit(":", 1)[0]).is_dir():
        models = demo_models(model, wanted)
    else:
        raise ConfigError(
            f"--model {model!r}: expected demo, demo:N, a demo weights folder or an "
            "LSI checkpoint (.pt)"
        )
    if images.startswith("procedural"):
        k, family = parse_procedural(images)
        truth = procedural_truth(k, family)
    else:
        from lsi_rig.scenes import load_scenes

        truth = image_truth(load_scenes([Path(images)]), labels)
    use_identity = identity_available() if identity is None else identity
    make_output_dir(out, what="--out")
    _, paths = run_evaluation(
        models,
        truth,
        rig=rig_name,
        sessions=session or [],
        out=out,
        identity=use_identity,
        batch=batch,
        meta={"model": model, "images_spec": images},
        on_model=lambda name: typer.echo(f"evaluating {name} on {len(truth)} images", err=True),
    )
    typer.echo(paths["markdown"].read_text())
    typer.echo(f"tables: {paths['markdown']}, {paths['csv']}; plots: {out / 'plots'}/")


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
