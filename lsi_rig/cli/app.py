"""Entry point of the ``lsi-rig`` command.

Sub-command modules import only typer at module level; heavy libraries (h5py, torch, Qt) are
imported inside the commands so ``lsi-rig --help`` and light commands start fast.
"""

from __future__ import annotations

import logging
import sys

import click
import typer

from lsi_rig.core.errors import LsiRigError

app = typer.Typer(
    name="lsi-rig",
    help="Latent Space Imaging single-pixel camera: capture, inspect, decode.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    from lsi_rig.cli import capture_cmd, demo_cmd, evaluate_cmd, inspect_cmd, models_cmd

    capture_cmd.register(app)
    inspect_cmd.register(app)
    demo_cmd.register(app)
    models_cmd.register(app)
    evaluate_cmd.register(app)


_register()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors become one line on stderr and exit code 2."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app(args=argv, standalone_mode=False, prog_name="lsi-rig")
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except click.exceptions.Abort:
        print("lsi-rig: aborted", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("lsi-rig: interrupted", file=sys.stderr)
        return 130
    except LsiRigError as exc:
        print(f"lsi-rig: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
