"""``lsi-rig decode`` and ``lsi-rig models convert``: offline decoding of measurement vectors.

Decoding runs one vector at a time: a full-size synthesis pass needs gigabytes of activations
on the CPU, and a batch would only couple the vectors' numerics (the modulation normalisation
spans the batch) without saving time on two cores. torch is imported inside the commands so
``lsi-rig --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lsi_rig.core.errors import SessionError

DEFAULT_TASKS = "image,attributes,segmentation,landmarks"


def decode(
    checkpoint: Annotated[
        Path, typer.Option("--checkpoint", help="LSI checkpoint (.pt), e.g. real_128.pt.")
    ],
    generator: Annotated[
        Path, typer.Option("--generator", help="ffhq256.pkl or a converted cache directory.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
    session: Annotated[
        Path | None, typer.Argument(help="Session file (.h5) whose vectors to decode.")
    ] = None,
    vectors: Annotated[
        list[Path] | None,
        typer.Option("--vectors", help="Official .npz measurement file (key 'array'); repeatable."),
    ] = None,
    tasks: Annotated[
        str | None,
        typer.Option(
            help=f"Comma-separated subset of {DEFAULT_TASKS}; default: all the checkpoint supports."
        ),
    ] = None,
    impl: Annotated[str, typer.Option(help="Synthesis path: fast | reference.")] = "fast",
    device: Annotated[str, typer.Option(help="cpu | cuda.")] = "cpu",
    precision: Annotated[str, typer.Option(help="fp32 | bf16 | fp16 | auto.")] = "auto",
    limit: Annotated[int | None, typer.Option(help="Decode at most N vectors.", min=1)] = None,
) -> None:
    """Decode measurement vectors into faces, parsing maps, landmarks and attributes."""
    from tqdm import tqdm

    from lsi_rig.decode.vectors import read_npz_vectors, read_session_vectors, unique_stems
    from lsi_rig.models.decoder import Decoder
    from lsi_rig.models.outputs import write_attributes_csv, write_vector_outputs

    if session is None and not vectors:
        raise SessionError("nothing to decode: give a session file or --vectors FILE.npz")
    items = []
    if session is not None:
        items += read_session_vectors(session)
    for path in vectors or []:
        items += read_npz_vectors(path)
    items = unique_stems(items)[:limit]
    requested = None if tasks is None else {t.strip() for t in tasks.split(",") if t.strip()}

    decoder = Decoder.from_files(
        checkpoint, generator, device=device, impl=impl, precision=precision
    )
    wanted = decoder.resolve_tasks(requested)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SessionError(f"cannot create output directory {out}: {exc}") from exc

    rows = []
    for item in tqdm(items, desc="decode", unit="vector", dynamic_ncols=True):
        result = decoder.decode(item.values, tasks=wanted)
        record = {
            "stem": item.stem,
            "source": item.source,
            "vector_index": item.index,
            "scene_id": item.scene_id,
            "n_measurements": decoder.n_measurements,
            "checkpoint": str(checkpoint),
            "generator": str(generator),
            "impl": impl,
            "device": device,
            "tasks": sorted(wanted),
            "timings_s": result.timings_s,
        }
        write_vector_outputs(
            out,
            item.stem,
            image=None if "image" not in wanted or result.image is None else result.image[0],
            segmentation=None if result.segmentation is None else result.segmentation[0],
            landmarks_px=None if result.landmarks_px is None else result.landmarks_px[0],
            attribute_probabilities=None
            if result.attribute_probabilities is None
            else result.attribute_probabilities[0],
            record=record,
        )
        if result.attribute_probabilities is not None:
            probs = dict(zip(result.attribute_names, result.attribute_probabilities[0].tolist(),
                             strict=True))  # fmt: skip
            rows.append({"stem": item.stem, "source": item.source,
                         "vector_index": item.index, **probs})  # fmt: skip
    if rows:
        write_attributes_csv(out / "attributes.csv", rows)
    typer.echo(f"decoded {len(items)} vector(s) into {out}")


def convert(
    pkl: Annotated[Path, typer.Argument(help="StyleGAN-XL generator pickle (ffhq256.pkl).")],
    out: Annotated[Path, typer.Option("--out", help="Cache directory to create.")],
) -> None:
    """Convert a generator pickle (restricted unpickling, no code run) into a fast-loading cache."""
    from lsi_rig.models.generator import convert_generator

    typer.echo(str(convert_generator(pkl, out)))


def register(app: typer.Typer) -> None:
    """Add ``decode`` and the ``models`` sub-app (``convert``) to the main CLI."""
    app.command("decode")(decode)
    models_app = typer.Typer(help="Generator and checkpoint utilities.", no_args_is_help=True)
    models_app.command("convert")(convert)
    from lsi_rig.cli.train_demo_cmd import register_train_demo

    register_train_demo(models_app)
    app.add_typer(models_app, name="models")
