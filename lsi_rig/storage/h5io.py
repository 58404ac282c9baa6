"""Low-level HDF5 writes for the session writer: the per-record hot path.

h5py's high-level slicing builds a selection, a memory dataspace and a memory type on every
call (~150 µs); these helpers build them once and reuse them (~15-30 µs per write).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from h5py import h5f, h5p, h5s, h5t

logger = logging.getLogger(__name__)

#: Metadata read attempts of a SWMR reader. HDF5 retries a block whose checksum fails (it may
#: be half-written by the live writer) and doubles a sleep between tries, starting at 1 ns: the
#: default 100 attempts never end on a damaged file; 24 give up after ~17 ms, ample for a
#: writer's pwrite to land.
SWMR_READ_ATTEMPTS = 24


@functools.cache
def _hdf5_function(name: str) -> Any:
    """A C function of the HDF5 library h5py runs on (not every one is wrapped by h5py).

    h5py's extension modules link libhdf5, so a symbol lookup through one of them reaches it
    (POSIX dlsym searches dependencies); wheels also ship the library beside the package.
    """
    here = Path(h5py.__file__).parent
    candidates = [Path(h5py.h5p.__file__)]
    candidates += sorted((here.parent / "h5py.libs").glob("libhdf5-*"))
    candidates += sorted(here.glob("hdf5*.dll"))
    for candidate in candidates:
        if "hdf5_hl" in candidate.name:
            continue
        try:
            return getattr(ctypes.CDLL(str(candidate)), name)  # type: ignore[no-any-return]
        except (OSError, AttributeError):
            continue
    logger.debug("HDF5 function %s not found next to h5py", name)
    return None


def set_metadata_read_attempts(fapl: h5p.PropFAID, attempts: int) -> bool:
    """``H5Pset_metadata_read_attempts`` (not wrapped by h5py); False if unavailable."""
    fn = _hdf5_function("H5Pset_metadata_read_attempts")
    if fn is None:
        return False
    fn.argtypes = [ctypes.c_int64, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return bool(fn(fapl.id, attempts) >= 0)


def open_read(path: Path, *, swmr: bool) -> h5py.File:
    """Open read-only; in SWMR mode with bounded metadata read attempts (see above)."""
    fapl = h5p.create(h5p.FILE_ACCESS)
    flags = h5f.ACC_RDONLY
    if swmr:
        flags |= h5f.ACC_SWMR_READ
        if not set_metadata_read_attempts(fapl, SWMR_READ_ATTEMPTS):
            logger.debug("SWMR read of %s with HDF5's default read attempts", path)
    return h5py.File(h5f.open(os.fsencode(path), flags, fapl=fapl))


def open_swmr_write(path: Path) -> h5py.File:
    fapl = h5p.create(h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5f.LIBVER_V110, h5f.LIBVER_LATEST)
    fid = h5f.open(os.fsencode(path), h5f.ACC_RDWR | h5f.ACC_SWMR_WRITE, fapl=fapl)
    return h5py.File(fid)


class RowWriter:
    """One record dataset, written row blocks at a time through reused dataspaces and a
    prebuilt memory type (h5py would otherwise build both on every call: ~30 µs each)."""

    def __init__(self, ds: h5py.Dataset) -> None:
        self.ds = ds
        self.row_shape: tuple[int, ...] = tuple(ds.shape[1:])
        self.empty = 0 in self.row_shape
        self._one = h5s.create_simple((1, *self.row_shape))
        self._fspace = ds.id.get_space()
        self._mtype = h5t.py_create(ds.dtype)

    def resize(self, rows: int) -> None:
        self.ds.resize(rows, axis=0)
        self._fspace = self.ds.id.get_space()

    def write(self, start: int, block: np.ndarray) -> None:
        m = block.shape[0]
        if m == 0 or self.empty:
            return
        mspace = self._one if m == 1 else h5s.create_simple(block.shape)
        self._fspace.select_hyperslab((start, *(0,) * len(self.row_shape)), block.shape)
        self.ds.id.write(mspace, self._fspace, block, mtype=self._mtype)


class ScalarWriter:
    """A scalar int64 state dataset (counter, heartbeat), written and flushed in place."""

    _MTYPE = h5t.py_create(np.dtype(np.int64))

    def __init__(self, ds: h5py.Dataset) -> None:
        self.ds = ds
        self._value = np.zeros((), dtype=np.int64)

    def set(self, value: int) -> None:
        self._value[()] = value
        self.ds.id.write(h5s.ALL, h5s.ALL, self._value, mtype=self._MTYPE)
        self.ds.id.flush()
