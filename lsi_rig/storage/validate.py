"""Checking a session file's structure before anything in it is trusted or read in bulk.

Every object the reader uses must exist with the right kind, dtype and shape; every declared
size must fit in the file's actual bytes (a damaged or crafted file cannot make the reader
allocate more memory than the file is long); the stored mask-set hash must match the stored
bits. Each failure is one :class:`SessionError` line that names the file and the object.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from lsi_rig.core.errors import SessionError
from lsi_rig.dmd.sequence import PatternKind
from lsi_rig.masks.maskset import HASH_PREFIX
from lsi_rig.storage import layout as L
from lsi_rig.storage.metadata import SamplePositions
from lsi_rig.storage.opening import plain

DATASETS = (
    L.RUN_STATUS, L.RUN_FINISHED_UTC, L.RUN_N_RECORDS, L.RUN_HEARTBEAT_NS, L.LOG_BYTES,
    L.LOG_N_BYTES, L.CONFIG_RIG_YAML, L.MASK_BITS, L.SEQ_KINDS, L.SEQ_MASK_INDEX,
    L.SEQ_EXPOSURE_US, L.SEQ_PERIOD_US, L.RECORD_TABLE,
    *(f"{L.RECORDS}/{name}" for name in L.VECTOR_DATASETS),
)  # fmt: skip
GROUPS = (L.RUN, L.LOG, L.CONFIG, L.CONFIG_DEVICES, L.MASKS, L.SEQUENCE, L.SCENES, L.CALIBRATION)
#: Datasets whose allocated extent may exceed the file (growth blocks): bounded by counters.
_GROWING = (L.RECORDS, L.LOG_BYTES)


class Damaged(SessionError):
    """The file's structure is damaged (one line: which object and how)."""


@dataclass(frozen=True)
class StoredShape:
    """The shapes a session file declares, checked against each other."""

    n_masks: int
    height: int
    width: int
    n_patterns: int
    n_scenes: int
    trace_shape: tuple[int, int] | None
    calibrated: bool
    positions: SamplePositions
    mask_sha256: str
    row_bytes: int  # bytes one committed record occupies at least


def _damaged(path: Path, what: str) -> Damaged:
    return Damaged(f"session file {path} is damaged: {what}; restore it from a copy")


def _dataset(f: h5py.File, name: str, path: Path) -> h5py.Dataset:
    obj = f.get(name, getlink=False)
    if obj is None:
        raise SessionError(
            f"session file {path} is corrupt or incomplete: missing /{name}; restore it from a copy"
        )
    if not isinstance(obj, h5py.Dataset):
        raise _damaged(path, f"/{name} is a {type(obj).__name__.lower()}, not a dataset")
    return obj


def _expect(ds: h5py.Dataset, path: Path, *, kind: str, shape: tuple[Any, ...]) -> None:
    """``kind``: allowed numpy dtype kinds; ``shape``: ints, or None for "any length"."""
    if ds.dtype.kind not in kind:
        raise _damaged(path, f"/{ds.name.lstrip('/')} has dtype {ds.dtype}")
    if len(ds.shape) != len(shape) or any(
        want is not None and got != want for got, want in zip(ds.shape, shape, strict=True)
    ):
        raise _damaged(path, f"/{ds.name.lstrip('/')} has shape {ds.shape}, expected {shape}")


def _int_attr(attrs: Any, name: str, where: str, path: Path, low: int, high: int) -> int:
    try:
        value = int(attrs[name])
    except (KeyError, TypeError, ValueError):
        raise _damaged(path, f"{where} attribute {name!r} is missing or not a number") from None
    if not low <= value <= high:
        raise _damaged(path, f"{where} attribute {name}={value} is out of range [{low}, {high}]")
    return value


def _check_sizes(f: h5py.File, path: Path, size: int) -> None:
    """No static dataset declares more bytes than the file has."""

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset) and not name.startswith(_GROWING):
            declared = int(np.prod(obj.shape, dtype=np.int64)) * obj.dtype.itemsize
            if declared > size + 4096:
                raise _damaged(path, f"/{name} declares {declared} bytes in a {size}-byte file")

    f.visititems(visit)


def _check_masks(f: h5py.File, path: Path) -> tuple[int, int, int, str]:
    g = f[L.MASKS]
    n = _int_attr(g.attrs, "n", "/masks", path, 1, 1 << 20)
    h = _int_attr(g.attrs, "height", "/masks", path, 1, 1 << 16)
    w = _int_attr(g.attrs, "width", "/masks", path, 1, 1 << 16)
    bits = _dataset(f, L.MASK_BITS, path)
    _expect(bits, path, kind="u", shape=(n, -(-h * w // 8)))
    if bits.dtype.itemsize != 1:
        raise _damaged(path, f"/{L.MASK_BITS} has dtype {bits.dtype}, expected uint8")
    stored = plain(g.attrs.get("sha256", ""))
    digest = hashlib.sha256(HASH_PREFIX + struct.pack("<III", n, h, w))
    digest.update(np.ascontiguousarray(bits[()]).tobytes())
    if digest.hexdigest() != stored:
        raise SessionError(
            f"session file {path}: the masks are damaged (mask bits do not match the stored hash "
            f"{str(stored)[:12]}); restore the file from a copy"
        )
    return n, h, w, str(stored)


def _check_sequence(f: h5py.File, path: Path, n: int) -> tuple[int, SamplePositions]:
    kinds = _dataset(f, L.SEQ_KINDS, path)
    p = int(kinds.shape[0]) if kinds.ndim == 1 else -1
    _expect(kinds, path, kind="iu", shape=(None,))
    for name in (L.SEQ_MASK_INDEX, L.SEQ_EXPOSURE_US, L.SEQ_PERIOD_US):
        _expect(_dataset(f, name, path), path, kind="iuf", shape=(p,))
    k, index = kinds[()], f[L.SEQ_MASK_INDEX][()]
    if not np.isin(k, [int(c) for c in PatternKind]).all():
        raise _damaged(path, "/sequence/kinds holds unknown pattern codes")
    references = (k == PatternKind.DARK) | (k == PatternKind.BRIGHT)
    if (index[references] != -1).any() or (index[~references] < 0).any() or (index >= n).any():
        raise _damaged(path, f"/sequence/mask_index holds indices outside 0..{n - 1} (or -1)")
    shown = np.sort(index[k == PatternKind.MASK])
    if not np.array_equal(shown, np.arange(n)):
        raise _damaged(path, f"/sequence/mask_index does not show each of the {n} masks once")
    return p, SamplePositions.of(k, index, n)


def _check_scenes(f: h5py.File, path: Path) -> int:
    g = f[L.SCENES]
    lengths = set()
    for col in L.SCENE_COLUMNS:
        ds = _dataset(f, f"{L.SCENES}/{col}", path)
        if ds.ndim != 1:
            raise _damaged(path, f"/scenes/{col} has shape {ds.shape}")
        lengths.add(int(ds.shape[0]))
    if len(lengths) != 1:
        raise _damaged(path, "/scenes columns differ in length")
    s = lengths.pop()
    if "count" in g.attrs and int(g.attrs["count"]) != s:
        raise _damaged(path, f"/scenes count {int(g.attrs['count'])} but {s} rows")
    return s


def check_structure(f: h5py.File, path: Path, size: int) -> StoredShape:
    """Validate everything static; returns the declared shapes."""
    for name in GROUPS:
        obj = f.get(name, getlink=False)
        if obj is None:
            raise SessionError(
                f"session file {path} is corrupt or incomplete: missing /{name}; "
                "restore it from a copy"
            )
        if not isinstance(obj, h5py.Group):
            raise _damaged(path, f"/{name} is a dataset, not a group")
    for name in DATASETS:
        _dataset(f, name, path)
    for name in (L.RUN_N_RECORDS, L.RUN_HEARTBEAT_NS, L.LOG_N_BYTES):
        _expect(f[name], path, kind="iu", shape=())
    for name in (L.RUN_STATUS, L.RUN_FINISHED_UTC):
        _expect(f[name], path, kind="S", shape=())
    _expect(f[L.LOG_BYTES], path, kind="u", shape=(None,))
    _check_sizes(f, path, size)
    n, h, w, digest = _check_masks(f, path)
    p, positions = _check_sequence(f, path, n)
    s = _check_scenes(f, path)
    records = f[L.RECORDS]
    table = _dataset(f, L.RECORD_TABLE, path)
    if table.dtype != L.RECORD_DTYPE or table.ndim != 1:
        raise _damaged(path, f"/{L.RECORD_TABLE} has dtype {table.dtype} / shape {table.shape}")
    widths = {"samples_v": p, "vector_v": n, L.CALIBRATED: n}
    row_bytes = table.dtype.itemsize
    for name in (*L.VECTOR_DATASETS, L.CALIBRATED):
        if name in records:
            ds = _dataset(f, f"{L.RECORDS}/{name}", path)
            _expect(ds, path, kind="f", shape=(None, widths[name]))
            row_bytes += widths[name] * ds.dtype.itemsize
    trace_shape = None
    if L.TRACE in records:
        trace = _dataset(f, f"{L.RECORDS}/{L.TRACE}", path)
        _expect(trace, path, kind="f", shape=(None, None, None))
        trace_shape = (int(trace.shape[1]), int(trace.shape[2]))
        row_bytes += trace_shape[0] * trace_shape[1] * trace.dtype.itemsize
    calibrated = L.CALIBRATED in records
    has_snapshot = plain(f[L.CALIBRATION].attrs.get("status")) == "snapshot"
    if calibrated and not has_snapshot:
        raise _damaged(path, "/records/calibrated_v without a calibration snapshot")
    return StoredShape(n, h, w, p, s, trace_shape, calibrated, positions, digest, row_bytes)


def check_count(path: Path, n: int, extent: int, row_bytes: int, size: int, what: str) -> int:
    """A committed count must be >= 0, within the datasets, and fit in the file's bytes."""
    if n < 0:
        raise _damaged(path, f"{what} is negative ({n})")
    if n > extent:
        raise _damaged(path, f"{what}={n} but the datasets hold {extent} rows")
    if n * row_bytes > size + 4096:
        raise _damaged(path, f"{what}={n} needs {n * row_bytes} bytes, the file has {size}")
    return n
