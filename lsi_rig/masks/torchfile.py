"""Pre-flight check of a ``torch.save`` file before ``torch.load`` reads it.

``torch.load(weights_only=True)`` never runs code, and for zip checkpoints it compares every
storage's declared size with its zip record before allocating. Two things it does not bound:
a compressed record (a 1 MB file may inflate to gigabytes) and the pre-1.6 "legacy" format,
which allocates each storage from the size its pickle declares before reading the data. torch
has written uncompressed zip files since 1.6 and the LSI checkpoints are such files, so anything
else is refused here, from the zip directory alone. Lives with the masks because the mask loader
is the lowest layer that reads checkpoints; ``lsi_rig.models`` uses it too.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

#: Entries a checkpoint may have (data.pkl, byteorder, version, one per storage, ...).
MAX_ENTRIES = 100_000


def torch_file_problem(path: Path) -> str | None:
    """Why ``path`` is not an acceptable torch zip checkpoint, or None when it is.

    Accepted: a zip archive whose entries are all stored uncompressed and together are no
    larger than the file (so ``torch.load`` allocates at most about the file's size).
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        return f"cannot read it ({exc})"
    if size == 0:
        return "the file is empty (0 bytes)"
    if not zipfile.is_zipfile(path):
        return (
            "it is not a torch zip checkpoint (torch >= 1.6 format); legacy or foreign files "
            "are not accepted: re-save it with torch.save"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        return f"its zip directory is corrupt ({exc})"
    if len(infos) > MAX_ENTRIES:
        return f"it has {len(infos)} zip entries, more than a checkpoint ever has"
    compressed = [i.filename for i in infos if i.compress_type != zipfile.ZIP_STORED]
    if compressed:
        return (
            f"zip entry {compressed[0]!r} is compressed; torch writes checkpoints uncompressed, "
            "so this file was not written by torch.save"
        )
    declared = sum(i.file_size for i in infos)
    if declared > size:
        return f"its zip entries declare {declared} bytes but the file has only {size}"
    return None
