"""Reading an HDF5 file's superblock ourselves, before HDF5 opens the file.

Why: a SWMR reader trusts nothing about the file's length (a live file grows) and retries every
metadata block whose checksum fails, sleeping 1 ns, 2 ns, 4 ns, ... in between (HDF5's
``H5C__load_entry``, 100 attempts by default): on a truncated copy that is 2**100 ns, a hang
that ignores Ctrl-C. The superblock says how long the file must be (its end-of-file address)
and whether a writer had it open (the consistency flags), so a few bytes read here decide how,
and whether, the file may be opened at all.

Layout (HDF5 file format specification, "Superblock"): the 8-byte signature sits at offset 0
or, after a user block, at 512, 1024, 2048, ...; versions 0/1 and 2/3 differ in where the sizes,
flags and addresses are.
"""

from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lsi_rig.core.errors import SessionError

SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: Superblock v2/v3 consistency flags: a writer had the file open (bit 0), in SWMR mode (bit 2).
FLAG_WRITE = 0x01
FLAG_SWMR_WRITE = 0x04
_UNDEFINED = (1 << 64) - 1
_MAX_SUPERBLOCK = 96  # bytes; the largest fixed part (v1 with 8-byte offsets) is 88


@dataclass(frozen=True)
class Superblock:
    """What the first bytes of an HDF5 file say. ``eof`` is the stored end-of-file address
    (-1 when undefined); ``size`` is the file's actual length in bytes."""

    offset: int
    version: int
    sizeof_offsets: int
    base_address: int
    eof: int
    flags: int
    size: int

    @property
    def open_for_write(self) -> bool:
        """A writer opened the file and has not closed it (it is live or it died)."""
        return self.version >= 2 and bool(self.flags & (FLAG_WRITE | FLAG_SWMR_WRITE))

    @property
    def truncated(self) -> bool:
        """Shorter than the stored end of file: the same test HDF5 makes on a normal open."""
        return self.eof >= 0 and self.size < self.eof


def _find_signature(fh: BinaryIO, size: int) -> int:
    """Offset of the signature: 0, then 512, 1024, 2048, ... (user blocks), or -1."""
    offset = 0
    while offset + len(SIGNATURE) <= size:
        fh.seek(offset)
        if fh.read(len(SIGNATURE)) == SIGNATURE:
            return offset
        offset = 512 if offset == 0 else offset * 2
    return -1


class _CutShort(ValueError):
    pass


def _parse(head: bytes, offset: int, size: int) -> Superblock:
    """Fields of the superblock in ``head`` (bytes from the signature on)."""
    if len(head) < 16:
        raise _CutShort
    version = head[8]
    if version in (0, 1):
        sizeof_offsets, flags_at = head[13], 20
        first_address = 24 if version == 0 else 28
        flags = struct.unpack_from("<I", head, flags_at)[0]
        eof_index = 2  # base, free-space info, end of file, driver info
    elif version in (2, 3):
        sizeof_offsets, flags = head[9], head[11]
        first_address = 12
        eof_index = 2  # base, superblock extension, end of file, root object header
    else:
        raise ValueError(f"superblock version {version}")
    fmt = {2: "<H", 4: "<I", 8: "<Q"}.get(sizeof_offsets)
    if fmt is None:
        raise ValueError(f"size of offsets {sizeof_offsets}")
    need = first_address + (eof_index + 1) * sizeof_offsets
    if len(head) < need:
        raise _CutShort
    base, _, eof = struct.unpack_from("<" + fmt[1] * 3, head, first_address)
    undefined = (1 << (8 * sizeof_offsets)) - 1
    return Superblock(
        offset=offset,
        version=version,
        sizeof_offsets=sizeof_offsets,
        base_address=base,
        eof=-1 if eof in (undefined, _UNDEFINED) else eof,
        flags=flags,
        size=size,
    )


def read_superblock(path: Path) -> Superblock:
    """The superblock of the HDF5 file at ``path``; a missing, empty, foreign or unreadable
    file is a :class:`SessionError` that names it and says what to do."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise SessionError(f"session file {path} does not exist; check the path") from None
    except OSError as exc:
        raise SessionError(f"session file {path}: cannot read it ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise SessionError(f"{path} is a folder, not a session file; give the .h5 file inside it")
    if not stat.S_ISREG(st.st_mode):
        raise SessionError(f"{path} is not a regular file, so not a session file")
    if st.st_size == 0:
        raise SessionError(f"session file {path} is empty (0 bytes); copy it again or re-capture")
    try:
        with open(path, "rb") as fh:
            offset = _find_signature(fh, st.st_size)
            if offset < 0:
                raise SessionError(
                    f"{path} is not an HDF5 file, so not an lsi-rig session (or its header is "
                    "corrupt); check the path"
                )
            fh.seek(offset)
            head = fh.read(_MAX_SUPERBLOCK)
    except OSError as exc:
        raise SessionError(f"session file {path}: cannot read it ({exc.strerror or exc})") from None
    try:
        return _parse(head, offset, os.path.getsize(path))
    except _CutShort:
        raise SessionError(
            f"session file {path} is truncated ({st.st_size} bytes, cut inside its HDF5 "
            "header); copy it again from the original"
        ) from None
    except (ValueError, IndexError, struct.error) as exc:
        raise SessionError(
            f"session file {path} has a damaged HDF5 header ({exc}; {st.st_size} bytes); "
            "restore it from a copy"
        ) from None
