"""Opening a session file for reading, with an actionable error for every way it can fail.

Nothing here can block: the superblock is read first (:mod:`lsi_rig.storage.superblock`), a
file no writer holds open is opened normally (HDF5 then checks its length and refuses damaged
metadata at once), and only a file a writer has open, or had open when it died, is opened in
SWMR mode, with bounded metadata read attempts (:data:`~lsi_rig.storage.h5io.SWMR_READ_ATTEMPTS`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import h5py
import numpy as np

from lsi_rig.core.errors import SessionError
from lsi_rig.storage.h5io import open_read
from lsi_rig.storage.superblock import Superblock, read_superblock


def plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def truncated_error(path: Path, sb: Superblock) -> SessionError:
    return SessionError(
        f"session file {path} is truncated ({sb.size} of {sb.eof} bytes); copy it again from "
        "the original"
    )


def open_file(path: Path) -> tuple[h5py.File, bool, Superblock]:
    """(file, opened in SWMR mode, superblock); every failure is a SessionError saying what
    to do."""
    sb = read_superblock(path)
    swmr = sb.open_for_write
    if sb.truncated and not swmr:
        raise truncated_error(path, sb)
    try:
        return open_read(path, swmr=swmr), swmr, sb
    except OSError as exc:
        text = str(exc)
        if sb.truncated or "truncated" in text:
            raise truncated_error(path, sb) from None
        if "lock" in text:
            advice = "another process holds it (a writer finishing?); retry in a moment"
        else:
            advice = "the file is corrupt or truncated; restore it from a copy"
        raise SessionError(f"cannot open session file {path}: {advice} ({exc})") from None


_F = TypeVar("_F", bound=Callable[..., Any])


def reads_guard(method: _F) -> _F:
    """Data that passed the checks on open can still be unreadable (a damaged chunk index or
    chunk): HDF5's error becomes one SessionError line naming the file."""

    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (OSError, RuntimeError, KeyError) as exc:
            raise SessionError(
                f"session file {self.path} is damaged: {method.__name__}() failed "
                f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); restore it "
                "from a copy"
            ) from None

    return cast(_F, guarded)
