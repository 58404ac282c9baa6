"""Reading mask stacks from ``.npy`` / ``.npz`` files without trusting their headers.

``np.load`` allocates whatever the header declares before it reads a byte of data, so a 200-byte
file claiming ``(100000, 100000, 100000)`` would ask for a petabyte. Here the header is read with
numpy's own format readers, checked (dtype, shape limits, declared size against the bytes really
present) and only then is the array read, from the same open file. Object arrays are refused
from the header: they would need pickle, which mask files never get.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import IO

import numpy as np
from numpy.lib import format as npy_format

from lsi_rig.core.errors import MaskError
from lsi_rig.masks.validate import MAX_MASK_PIXELS, check_shape

#: Largest .npy header accepted (numpy's own default limit).
MAX_HEADER_BYTES = 10_000
#: Element types a mask array may have: bool, integers, floats (values checked later).
_KINDS = {"b": "bool", "i": "signed integer", "u": "unsigned integer", "f": "float"}


def _header(fh: IO[bytes], origin: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """(shape, fortran_order, dtype, header length in bytes) of an .npy stream, checked."""
    try:
        version = npy_format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(
                fh, max_header_size=MAX_HEADER_BYTES
            )
        elif version == (2, 0):
            shape, fortran, dtype = npy_format.read_array_header_2_0(
                fh, max_header_size=MAX_HEADER_BYTES
            )
        else:
            raise MaskError(
                f"{origin}: .npy format version {version[0]}.{version[1]} is not supported for "
                "masks; save a plain numeric array with numpy.save"
            )
    except (ValueError, EOFError, OSError) as exc:
        raise MaskError(f"{origin}: cannot read .npy header ({exc}); is it a numpy file?") from exc
    if dtype.hasobject:
        raise MaskError(
            f"{origin}: holds Python objects (dtype {dtype}); mask files are never unpickled, "
            "save a bool or integer array"
        )
    if (
        dtype.names is not None
        or dtype.subdtype is not None
        or dtype.kind not in _KINDS
        or dtype.itemsize > 8
    ):
        raise MaskError(
            f"{origin}: unsupported mask dtype {dtype}; use bool, integers or floats of 0/1"
        )
    return tuple(int(s) for s in shape), bool(fortran), dtype, int(fh.tell())


def _read_checked(fh: IO[bytes], origin: str, total_bytes: int) -> np.ndarray:
    """Read the .npy array in ``fh``, a stream of ``total_bytes`` (header and data).

    ``total_bytes`` is what the container says is there (the file size, or the zip entry's
    size); the header's shape must account for exactly the bytes after the header, so a
    truncated or padded file is refused before the data is allocated.
    """
    shape, fortran, dtype, start = _header(fh, origin)
    check_shape(shape, origin)
    data_bytes = total_bytes - start
    declared = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if declared != data_bytes:
        what = "truncated" if declared > data_bytes else "longer than its header says"
        raise MaskError(
            f"{origin}: file is {what}: the header declares {shape} {dtype} "
            f"({declared} bytes of data) but {data_bytes} bytes follow; re-save the masks"
        )
    try:
        fh.seek(0)
        array = npy_format.read_array(fh, allow_pickle=False, max_header_size=MAX_HEADER_BYTES)
    except (ValueError, EOFError, OSError, zipfile.BadZipFile) as exc:
        raise MaskError(f"{origin}: cannot read mask data ({exc}); re-save the masks") from exc
    if array.shape != shape or array.dtype != dtype:
        raise MaskError(f"{origin}: data does not match its header; re-save the masks")
    return np.ascontiguousarray(array) if fortran else array


def read_npy(path: Path) -> np.ndarray:
    """The array in an ``.npy`` file, after checking its header against the file."""
    origin = str(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            if size == 0:
                raise MaskError(f"{origin}: file is empty (0 bytes); not a numpy file")
            return _read_checked(fh, origin, size)
    except OSError as exc:
        raise MaskError(f"{origin}: cannot read .npy file ({exc})") from exc


def _member(archive: zipfile.ZipFile, origin: str) -> tuple[zipfile.ZipInfo, str]:
    infos = [i for i in archive.infolist() if not i.is_dir()]
    keys = [i.filename[:-4] if i.filename.endswith(".npy") else i.filename for i in infos]
    if "masks" in keys:
        index = keys.index("masks")
    elif len(keys) == 1:
        index = 0
    else:
        raise MaskError(
            f"{origin}: .npz holds {keys or 'no arrays'}; store the masks under the key "
            "'masks' or as the only array"
        )
    return infos[index], keys[index]


def read_npz(path: Path) -> tuple[np.ndarray, str]:
    """(array, key) of the mask entry of an ``.npz`` file (key ``masks`` or its only array).

    The entry's uncompressed size comes from the zip directory and bounds what is read (zipfile
    stops there and checks the CRC), so neither a lying header nor a zip bomb can allocate more
    than the limits allow.
    """
    origin = str(path)
    try:
        if path.stat().st_size == 0:
            raise MaskError(f"{origin}: file is empty (0 bytes); not an .npz archive")
        with zipfile.ZipFile(path) as archive:
            info, key = _member(archive, origin)
            where = f"{origin}[{key}]"
            limit = MAX_HEADER_BYTES + 16 + MAX_MASK_PIXELS * 8
            if info.file_size > limit:
                raise MaskError(
                    f"{where}: entry is {info.file_size} bytes uncompressed, more than any "
                    f"accepted mask set ({limit} bytes); use fewer or smaller masks"
                )
            with archive.open(info) as fh:
                return _read_checked(fh, where, info.file_size), key
    except MaskError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, NotImplementedError) as exc:
        raise MaskError(f"{origin}: cannot read .npz file ({exc})") from exc
