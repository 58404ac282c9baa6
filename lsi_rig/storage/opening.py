"""Opening a session file for reading, with an actionable error for every way it can fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np

from lsi_rig.core.errors import SessionError


def plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def open_file(path: Path) -> tuple[h5py.File, bool]:
    """(file, opened in SWMR mode); every failure becomes a SessionError that says what to do."""
    if not path.exists():
        raise SessionError(f"session file {path} does not exist; check the path")
    if path.is_dir():
        raise SessionError(f"{path} is a folder, not a session file; give the .h5 file inside it")
    if not h5py.is_hdf5(path):
        raise SessionError(
            f"{path} is not an HDF5 file, so not an lsi-rig session (or its header is corrupt); "
            "check the path"
        )
    try:
        return h5py.File(path, "r", libver="latest", swmr=True), True
    except OSError as swmr_exc:
        try:
            return h5py.File(path, "r"), False
        except OSError as exc:
            text = f"{swmr_exc} / {exc}"
            if "lock" in text:
                advice = "another process holds it (a writer finishing?); retry in a moment"
            elif "already open for write" in text or "h5clear" in text:
                advice = (
                    "it was left open for writing by a process that stopped; "
                    f"run `h5clear -s {path}` and retry"
                )
            else:
                advice = "the file is corrupt or truncated; restore it from a copy"
            raise SessionError(f"cannot open session file {path}: {advice} ({exc})") from exc
