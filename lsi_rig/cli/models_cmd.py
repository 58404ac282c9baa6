"""``lsi-rig decode`` and ``lsi-rig models convert``: offline decoding of measurement vectors.

``decode`` is a thin user of the decode service (``lsi_rig.decode``): it reads the inputs,
checks them against the model (mask-set hash, vector length) before the output folder exists,
decodes one vector at a time and writes through :class:`~lsi_rig.decode.outputs.OutputFolder`,
which removes what a failed run created. torch is imported inside the commands so
``lsi-rig --help`` stays fast.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lsi_rig.core.errors import SessionError

if TYPE_CHECKING:
    from lsi_rig.decode.outputs import OutputFolder
    from lsi_rig.decode.service import DecodeService
    from lsi_rig.decode.vectors import MeasurementVector

log = logging.getLogger(__name__)
DEFAULT_TASKS = "image,attributes,segmentation,landmarks"


def decode(
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
    model: Annotated[
        str | None,
        typer.Option(
            "--model", help="demo or demo:N: the demo LSI model shipped with lsi-rig (N masks)."
        ),
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="LSI checkpoint (.pt), e.g. real_128.pt."),
    ] = None,
    generator: Annotated[
        Path | None,
        typer.Option("--generator", help="ffhq256.pkl or a converted cache directory."),
    ] = None,
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
    device: Annotated[str, typer.Option(help="cpu | cuda | cuda:N.")] = "cpu",
    precision: Annotated[str, typer.Option(help="auto | fp32 | bf16 | fp16.")] = "auto",
    limit: Annotated[int | None, typer.Option(help="Decode at most N vectors.", min=1)] = None,
    records: Annotated[
        str | None,
        typer.Option(help="Session records START:STOP (0-based, STOP excluded), or one index."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(help="Decode even if the session's masks differ from the model's (warns)."),
    ] = False,
) -> None:
    """Decode measurement vectors into faces, parsing maps, landmarks and attributes."""
    from lsi_rig.decode.checks import check_lengths, check_session
    from lsi_rig.decode.loading import check_options, load_decoder
    from lsi_rig.decode.outputs import OutputFolder, check_output_dir
    from lsi_rig.decode.service import DecodeService
    from lsi_rig.decode.vectors import parse_records, read_npz_vectors, read_session, unique_stems

    check_options(device=device, impl=impl, precision=precision)
    if session is None and not vectors:
        raise SessionError("nothing to decode: give a session file or --vectors FILE.npz")
    if records is not None and session is None:
        raise SessionError("--records selects records of a session: give the SESSION.h5 file")
    requested = None if tasks is None else {t.strip() for t in tasks.split(",") if t.strip()}
    check_output_dir(out)
    # Inputs first (cheap), the model second (slow), the output folder last.
    chosen = read_session(session, records=parse_records(records)) if session else None
    npz_items = [item for path in vectors or [] for item in read_npz_vectors(path)]
    if model is not None and (checkpoint is not None or generator is not None):
        raise SessionError("give either --model demo[:N] or --checkpoint and --generator")
    decoder = load_decoder(
        model,
        checkpoint=checkpoint,
        generator=generator,
        device=device,
        impl=impl,
        precision=precision,
    )
    service = DecodeService(decoder, tasks=requested)
    items: list[MeasurementVector] = []
    if chosen is not None:
        for warning in check_session(decoder, chosen, force=force):
            log.warning("%s", warning)
        items += chosen.vectors
    items = unique_stems([*items, *npz_items])[:limit]
    check_lengths(decoder, items)
    run_info = {"model": decoder.name, "checkpoint": str(checkpoint), "generator": str(generator)}
    run_info |= {"impl": impl, "device": device}
    _run(service, items, OutputFolder(out, run_info=run_info), forced=force and chosen is not None)


def _run(
    service: DecodeService, items: list[MeasurementVector], folder: OutputFolder, *, forced: bool
) -> None:
    """Decode ``items`` into ``folder``; an error removes the run's files, Ctrl-C keeps the
    complete vectors (and their CSV rows)."""
    from tqdm import tqdm

    bar = tqdm(total=len(items), desc="decode", unit="vector", dynamic_ncols=True)
    try:
        progress = lambda _: bar.update(1)  # noqa: E731
        for decoded in service.decode_vectors(items, progress=progress, forced=forced):
            folder.write(decoded)
        folder.finish()
    except KeyboardInterrupt:
        folder.finish()
        kept, total = folder.n_vectors, len(items)
        log.warning("decode interrupted: %d of %d vector(s) kept in %s", kept, total, folder.path)
        raise
    except BaseException:
        folder.abort()
        raise
    finally:
        bar.close()
    typer.echo(f"decoded {folder.n_vectors} vector(s) into {folder.path}")


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
