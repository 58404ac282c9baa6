"""Entry point of the ``lsi-rig`` command, and what it does with every way a run can end.

* usage errors (a missing or unknown option, a bad value, an unknown command): one line
  naming the command, the framework's message and where the help is, exit 2;
* user errors (:class:`~lsi_rig.core.errors.LsiRigError`): ``lsi-rig: error: ...``, one line,
  exit 2;
* Ctrl-C / SIGINT: ``lsi-rig: interrupted``, exit 130 (a running capture ends ``interrupted``
  with its records kept);
* anything else is a bug: one line saying so and where the full traceback was written
  (``$LSI_RIG_LOG_DIR``, else the platform's state folder), exit 1.

typer has vendored its own copy of click since 0.2x (``typer._click``) and turns Ctrl-C into
``Exit(130)`` and an ``EOFError`` into ``Abort``; older releases used click itself. Commands are
therefore guarded here, inside the framework, and the framework's exceptions are matched by
their public names in both generations.

Sub-command modules import only typer at module level; heavy libraries (h5py, torch, Qt) are
imported inside the commands so ``lsi-rig --help`` and light commands start fast.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import typer

from lsi_rig.core.errors import LsiRigError

app = typer.Typer(
    name="lsi-rig",
    help="Latent Space Imaging single-pixel camera: capture, inspect, decode, recover.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_CLI_ERRORS: tuple[type[BaseException], ...] = (
    click.ClickException,
    *((typer.TyperException,) if hasattr(typer, "TyperException") else ()),
)
_ABORTS: tuple[type[BaseException], ...] = (click.exceptions.Abort, typer.Abort)
_EXITS: tuple[type[BaseException], ...] = (click.exceptions.Exit, typer.Exit)
_PASS_THROUGH: tuple[type[BaseException], ...] = (LsiRigError, *_CLI_ERRORS, *_ABORTS, *_EXITS)
EXIT_INTERRUPTED = 130


class _Interrupted(BaseException):
    """Ctrl-C inside a command, carried past the framework's own handling."""


class _Unexpected(BaseException):
    """A bug inside a command, carried past the framework (which would turn EOFError into a
    bare Abort)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


def _guarded(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except KeyboardInterrupt:
            raise _Interrupted from None
        except _PASS_THROUGH:
            raise
        except Exception as exc:
            raise _Unexpected(exc) from None

    return run


def _guard_all(typer_app: typer.Typer) -> None:
    for command in typer_app.registered_commands:
        if command.callback is not None:
            command.callback = _guarded(command.callback)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _guard_all(group.typer_instance)


def _register() -> None:
    from lsi_rig.cli import (
        batch_cmd,
        calibrate_cmd,
        capture_cmd,
        demo_cmd,
        evaluate_cmd,
        export_cmd,
        gui_cmd,
        inspect_cmd,
        models_cmd,
        recover_cmd,
        report_cmd,
    )

    capture_cmd.register(app)
    inspect_cmd.register(app)
    recover_cmd.register(app)
    demo_cmd.register(app)
    models_cmd.register(app)
    batch_cmd.register(app)
    calibrate_cmd.register(app)
    report_cmd.register(app)
    export_cmd.register(app)
    evaluate_cmd.register(app)
    gui_cmd.register(app)
    _guard_all(app)


_register()


def log_dir() -> Path:
    """Where internal-error reports go: ``$LSI_RIG_LOG_DIR``, else the platform's state
    folder (``$XDG_STATE_HOME/lsi-rig``, ``~/.local/state/lsi-rig``; ``~/Library/Logs/lsi-rig``
    on macOS; ``%LOCALAPPDATA%\\lsi-rig\\logs`` on Windows)."""
    env = os.environ.get("LSI_RIG_LOG_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        return (
            Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData/Local") / "lsi-rig/logs"
        )
    if sys.platform == "darwin":
        return Path.home() / "Library/Logs/lsi-rig"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local/state")
    return Path(state) / "lsi-rig"


def _report_internal(error: BaseException, argv: list[str]) -> int:
    from lsi_rig import __version__

    summary = (str(error).strip().splitlines() or [""])[0][:200]
    what = f"{type(error).__name__}: {summary}" if summary else type(error).__name__
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        report = folder / f"crash-{stamp}-{os.getpid()}.log"
        report.write_text(
            f"lsi-rig {__version__}, Python {sys.version.split()[0]}, {sys.platform}\n"
            f"command: lsi-rig {' '.join(argv)}\n\n"
            + "".join(traceback.format_exception(type(error), error, error.__traceback__)),
            encoding="utf-8",
        )
        where = f"full traceback in {report}"
    except OSError as exc:
        where = f"the traceback could not be saved ({exc.strerror or exc})"
    print(f"lsi-rig: internal error (a bug, please report it): {what}; {where}", file=sys.stderr)
    return 1


def usage_line(error: BaseException) -> str:
    """A usage error in one line, naming the command and where its help is:
    ``lsi-rig capture: error: Invalid value for '--size': … (see 'lsi-rig capture --help')``."""
    format_message = getattr(error, "format_message", None)
    message = format_message() if callable(format_message) else str(error)
    message = " ".join(str(message).split())
    ctx = getattr(error, "ctx", None)
    command = getattr(ctx, "command_path", "") or "lsi-rig"
    return f"{command}: error: {message} (see '{command} --help')"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and turn every way it can end into an exit code (module docstring)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # the terminal shows warnings and errors ...
        if type(handler) is logging.StreamHandler:
            handler.setLevel(max(handler.level, logging.WARNING))
    logging.getLogger("lsi_rig").setLevel(logging.INFO)  # ... session logs keep INFO too
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=args, standalone_mode=False, prog_name="lsi-rig")
    except _Interrupted:
        result = EXIT_INTERRUPTED
    except LsiRigError as exc:
        print(f"lsi-rig: error: {exc}", file=sys.stderr)
        return 2
    except _Unexpected as exc:
        return _report_internal(exc.error, args)
    except _EXITS as exc:
        return int(getattr(exc, "exit_code", 0))
    except _CLI_ERRORS as exc:
        print(usage_line(exc), file=sys.stderr)
        return 2
    except _ABORTS as exc:
        if not isinstance(exc.__cause__, KeyboardInterrupt):
            if exc.__cause__ is not None:
                return _report_internal(exc.__cause__, args)
            print("lsi-rig: aborted", file=sys.stderr)
            return 1
        result = EXIT_INTERRUPTED
    except KeyboardInterrupt:
        result = EXIT_INTERRUPTED
    except Exception as exc:
        return _report_internal(exc, args)
    if result == EXIT_INTERRUPTED:
        print("lsi-rig: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
