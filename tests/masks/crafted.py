"""Hostile or unusual input files, written byte by byte (headers that lie, bombs)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npy_format
from PIL import Image


def npy_with_header(
    path: Path,
    shape: tuple[int, ...],
    descr: Any = "|b1",
    *,
    fortran: bool = False,
    payload: bytes = b"",
    version: tuple[int, int] = (1, 0),
) -> Path:
    """An .npy file whose header declares ``shape``/``descr`` followed by ``payload`` only."""
    buf = io.BytesIO()
    header = {"descr": descr, "fortran_order": fortran, "shape": shape}
    if version == (1, 0):
        npy_format.write_array_header_1_0(buf, header)
    else:
        npy_format.write_array_header_2_0(buf, header)
    path.write_bytes(buf.getvalue() + payload)
    return path


def npz_entry(path: Path, name: str, data: bytes, *, declared_size: int | None = None) -> Path:
    """An .npz (zip) with one entry; ``declared_size`` overwrites the size in the directory."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    if declared_size is not None:
        raw = bytearray(path.read_bytes())
        central = raw.rindex(b"PK\x01\x02")
        raw[central + 24 : central + 28] = struct.pack("<I", declared_size)
        local = raw.index(b"PK\x03\x04")
        raw[local + 22 : local + 26] = struct.pack("<I", declared_size)
        path.write_bytes(bytes(raw))
    return path


def png_claiming_size(path: Path, width: int, height: int) -> Path:
    """A tiny valid 8-bit grey PNG whose IHDR claims ``width``×``height`` (CRC fixed)."""
    buf = io.BytesIO()
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(buf, format="PNG")
    raw = bytearray(buf.getvalue())
    ihdr = raw.index(b"IHDR")
    raw[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(raw[ihdr : ihdr + 17])) & 0xFFFFFFFF
    raw[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    path.write_bytes(bytes(raw))
    return path


def png16(path: Path, values: np.ndarray) -> Path:
    """16-bit greyscale PNG (Pillow mode I;16) of ``values`` (uint16 [H, W])."""
    Image.fromarray(np.ascontiguousarray(values, dtype=np.uint16)).save(path, format="PNG")
    with Image.open(path) as img:
        assert img.mode == "I;16", img.mode
    return path
