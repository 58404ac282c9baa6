"""File-name ordering shared by mask folders and scene folders."""

from __future__ import annotations

import re


def natural_key(name: str) -> list[tuple[int, int, str]]:
    """Sort key that orders ``mask_2`` before ``mask_10`` (digit runs compare as numbers), so
    folders of numbered masks or faces are captured in the order a person reads them."""
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part.lower())
        for part in re.split(r"(\d+)", name)
        if part
    ]
