"""Static check of a pickle's opcode stream, before any unpickler runs it.

Some allocation bombs need no global at all: ``LONG_BINPUT 0x7ffffff0`` makes CPython's C
unpickler grow (and zero) its memo table to 2³¹ entries, 16 GiB, and a ``BINBYTES8`` or
``FRAME`` length of 2⁴⁰ makes it ask the file for a terabyte in one read. Walking the stream
with :func:`pickletools.genops` over a memory map (reads past the end return what is there, so a
lying length costs nothing) catches these from the opcodes alone:

* memo indices (PUT/GET families) may not exceed the number of opcodes read so far: a pickler
  numbers its memo entries 0, 1, 2, … as it writes them, so a real stream never does;
* a FRAME may not announce more bytes than the file has left;
* MARK nesting is bounded (:data:`MAX_MARK_DEPTH`), so a structure too deep for Python's
  recursion limit is refused instead of blowing up later in a ``repr`` or comparison;
* every length-prefixed argument must be present in full and the stream must end in STOP.

It also checks the "legacy" ``torch.save`` payloads that ``torch.storage._load_from_bytes``
receives: their pickled header declares each storage's size, which torch allocates before it
reads the data, so the declared sizes must fit in the bytes that follow
(:func:`legacy_storage_bytes`).
"""

from __future__ import annotations

import io
import mmap
import pickle
import pickletools
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from lsi_rig.core.errors import ModelError, UnsafePickleError

#: Deepest MARK nesting accepted; real network pickles stay below ~40.
MAX_MARK_DEPTH = 400
_PUT_GET = frozenset({"PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"})
_STORAGE_ITEMSIZE = {
    "UntypedStorage": 1, "ByteStorage": 1, "CharStorage": 1, "BoolStorage": 1,
    "ShortStorage": 2, "HalfStorage": 2, "BFloat16Storage": 2, "IntStorage": 4,
    "FloatStorage": 4, "LongStorage": 8, "DoubleStorage": 8, "ComplexFloatStorage": 8,
    "ComplexDoubleStorage": 16,
}  # fmt: skip


@dataclass(frozen=True)
class ScanReport:
    """What the scan saw: opcode count, deepest MARK nesting, end offset of the pickle."""

    n_opcodes: int
    max_mark_depth: int
    end: int


def _refuse(where: str, pos: int | None, what: str) -> UnsafePickleError:
    at = "" if pos is None else f" at byte {pos}"
    return UnsafePickleError(f"{where}: refused{at}: {what}; nothing was unpickled")


def scan_stream(fh: IO[bytes] | mmap.mmap, size: int, where: str) -> ScanReport:
    """Walk one pickle from ``fh``'s position to its STOP; raise UnsafePickleError if it lies.

    ``fh`` must return short reads past its end (a memory map or BytesIO), ``size`` is the
    total length of the underlying buffer.
    """
    n_ops = 0
    depth = max_depth = 0
    end = 0
    try:
        for opcode, arg, pos in pickletools.genops(fh):  # type: ignore[arg-type]
            n_ops += 1
            name = opcode.name
            if name in _PUT_GET and isinstance(arg, int) and arg > n_ops:
                raise _refuse(where, pos, f"{name} memo index {arg} after {n_ops} opcodes")
            if name == "FRAME" and isinstance(arg, int) and arg > size - fh.tell():
                raise _refuse(where, pos, f"FRAME of {arg} bytes, {size - fh.tell()} remain")
            if name == "MARK":
                depth += 1
                if depth > MAX_MARK_DEPTH:
                    raise _refuse(where, pos, f"nesting deeper than {MAX_MARK_DEPTH} levels")
                max_depth = max(max_depth, depth)
            elif pickletools.markobject in opcode.stack_before:
                depth -= 1
            end = fh.tell()
    except UnsafePickleError:
        raise
    except (ValueError, EOFError, struct.error, OverflowError, MemoryError) as exc:
        raise ModelError(f"{where} is not a readable pickle: {exc}") from exc
    return ScanReport(n_ops, max_depth, end)


def scan_bytes(data: bytes, where: str) -> ScanReport:
    """:func:`scan_stream` over a bytes object."""
    return scan_stream(io.BytesIO(data), len(data), where)


@contextmanager
def mapped(path: Path) -> Iterator[mmap.mmap | io.BytesIO]:
    """A read-only memory map of ``path`` (an empty BytesIO for an empty file)."""
    with path.open("rb") as fh:
        if path.stat().st_size == 0:
            yield io.BytesIO(b"")
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
            yield view


def scan_file(path: Path) -> ScanReport:
    """Scan the pickle in ``path`` without reading it into memory."""
    size = path.stat().st_size
    with mapped(path) as view:
        return scan_stream(view, size, str(path))


class _StorageHeader(pickle.Unpickler):
    """Reads the pickled header of a legacy storage payload: storage classes and sizes only."""

    def __init__(self, fh: IO[bytes]) -> None:
        super().__init__(fh)
        self.declared: list[tuple[str, int]] = []

    def find_class(self, module: str, name: str) -> Any:
        if module in ("torch", "torch.cuda", "torch.storage") and name in _STORAGE_ITEMSIZE:
            return ("storage-type", name)
        raise UnsafePickleError(f"tensor storage header names {module}.{name}; refused")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise UnsafePickleError(f"tensor storage header has persistent id {pid!r:.80}")
        kind, numel = pid[1], pid[4]
        if not (isinstance(kind, tuple) and kind[0] == "storage-type") or not isinstance(
            numel, int
        ):
            raise UnsafePickleError("tensor storage header is malformed")
        if numel < 0:
            raise UnsafePickleError(f"tensor storage declares {numel} elements")
        self.declared.append((kind[1], numel))
        return ("storage", len(self.declared))


def legacy_storage_bytes(payload: bytes, where: str) -> int:
    """Bytes of storage a legacy ``torch.save`` payload declares; checked against its length.

    The payload is five small pickles (magic number, protocol, system info, the object with
    persistent ids naming each storage's class and element count, the storage keys), then per
    storage an 8-byte count and the data. Refuses any declaration the remaining bytes cannot
    hold, so torch never allocates more than the payload carries.
    """
    fh = io.BytesIO(payload)
    header = _StorageHeader(fh)
    for _ in range(5):
        start = fh.tell()
        scan_stream(fh, len(payload), f"{where} (tensor storage header)")
        fh.seek(start)
        try:
            header.load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
            raise ModelError(f"{where}: a tensor storage header is unreadable: {exc}") from exc
    declared = sum(numel * _STORAGE_ITEMSIZE[kind] for kind, numel in header.declared)
    remaining = len(payload) - fh.tell() - 8 * len(header.declared)
    if declared > remaining:
        raise UnsafePickleError(
            f"{where}: a tensor storage declares {declared} bytes but its payload carries "
            f"{max(remaining, 0)}; refused, nothing was allocated"
        )
    return declared
