"""Output-path checks in one place: session files (writer, capture, demo, recover) and output
folders (demo, decode).

Everything that will be written is checked before the first byte is, so a bad path is one
clear line naming the path and what to do, never a traceback or a half-made file. The checks
use ``os.access``; where the OS still refuses later (root on a read-only mount, a full disk),
the writers turn that refusal into the same kind of message.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from lsi_rig.core.errors import SessionError

SESSION_SUFFIXES = (".h5", ".hdf5")


def _folder_of(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _check_folder(folder: Path, path: Path, what: str) -> None:
    if not folder.exists():
        raise SessionError(
            f"{what} {path}: folder {folder} does not exist; create it or choose another "
            "output folder"
        )
    if not folder.is_dir():
        raise SessionError(f"{what} {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SessionError(
            f"{what} {path}: folder {folder} is not writable; fix its permissions or choose "
            "another output folder"
        )


def _unusable(path: Path, what: str, exc: OSError) -> SessionError:
    return SessionError(f"{what} {path}: unusable path ({exc.strerror or exc})")


def check_output_path(
    path: str | Path,
    *,
    overwrite: bool,
    suffixes: tuple[str, ...] | None = SESSION_SUFFIXES,
    what: str = "output",
) -> Path:
    """A new file can be written at ``path``: its folder exists and is writable, the name is
    not a folder, and an existing file is only accepted with ``overwrite``.

    ``suffixes``: accepted file name endings (case-insensitive), ``None`` for any. Returns the
    path. Raises :class:`SessionError` naming the path and what to do.
    """
    path = Path(path)
    try:
        if suffixes is not None and path.suffix.lower() not in suffixes:
            endings = " or ".join(suffixes)
            raise SessionError(f"{what} {path}: session files must end in {endings}")
        _check_folder(_folder_of(path), path, what)
        if path.is_dir():
            raise SessionError(f"{what} {path}: a folder has that name; choose a file name")
        if path.exists() and not overwrite:
            raise SessionError(
                f"{what} {path} already exists; choose another name or allow overwriting "
                "(--overwrite, overwrite=True)"
            )
    except OSError as exc:
        raise _unusable(path, what, exc) from None
    return path


def check_output_dir(path: str | Path, *, what: str = "output folder") -> Path:
    """Files can be written under ``path``: it is a writable folder, or it does not exist yet
    and its nearest existing parent is a writable folder (so ``mkdir(parents=True)`` works).

    Creates nothing (a refused run leaves no empty folders behind). Returns the path.
    """
    path = Path(path)
    try:
        if path.exists():
            if not path.is_dir():
                raise SessionError(f"{what} {path} is a file, not a folder; choose a folder")
            if not os.access(path, os.W_OK | os.X_OK):
                raise SessionError(
                    f"{what} {path} is not writable; fix its permissions or choose another folder"
                )
            return path
        parent = path.absolute().parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise SessionError(f"{what} {path}: {parent} is a file, not a folder")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise SessionError(
                f"{what} {path}: cannot create it, {parent} is not writable; fix its "
                "permissions or choose another folder"
            )
    except OSError as exc:
        raise _unusable(path, what, exc) from None
    return path


def make_output_dir(path: str | Path, *, what: str = "output folder") -> Path:
    """:func:`check_output_dir`, then create the folder (and parents); OS refusals (read-only
    file system, full disk) become one :class:`SessionError` line."""
    path = check_output_dir(path, what=what)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SessionError(
            f"{what} {path}: cannot create it ({exc.strerror or exc}); choose another folder"
        ) from None
    return path


def new_session_path(folder: str | Path, label: str) -> Path:
    """``<folder>/<YYYY-MM-DD>/<HHMMSS>_<label>_<id8>.h5`` (UTC): sortable and readable; the day
    folder is created (one-line error when it cannot be)."""
    now = datetime.now(UTC)
    day = make_output_dir(Path(folder) / now.strftime("%Y-%m-%d"), what="sessions folder")
    return day / f"{now.strftime('%H%M%S')}_{label}_{uuid.uuid4().hex[:8]}.h5"
