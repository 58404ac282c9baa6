"""File stems an export may use, and the pairing rule of the official fine-tuning loader.

The loader pairs ``FineTune/<n>/Train/*.npz`` with ``DMD_TRAINSET/gt/*.jpg`` by the sorted order
of the two listings, and test files by replacing ``.npz`` with ``.jpg`` in the path. Stems are
kept exactly (attributes are matched by stem), so a stem that would break either rule is an
error naming it rather than a silent rename.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsi_rig.batch.manifest import id_problem
from lsi_rig.core.errors import SessionError

NPZ, JPG = ".npz", ".jpg"


def stem_problem(stem: str) -> str | None:
    problem = id_problem(stem)
    if problem is not None:
        return problem
    if NPZ in stem:
        return "contains '.npz' (the official test loader swaps '.npz' for '.jpg' in the path)"
    return None


def check_stems(stems: Sequence[str], *, images: bool) -> None:
    """Every stem usable and unique (ignoring case); with ``images``, the sorted .npz listing
    pairs each file with the .jpg of the same stem."""
    seen: dict[str, str] = {}
    for stem in stems:
        problem = stem_problem(stem)
        if problem is not None:
            raise SessionError(f"export: scene id {stem!r} {problem}; it cannot be a file stem")
        key = stem.casefold()
        if key in seen:
            raise SessionError(
                f"export: stems {seen[key]!r} and {stem!r} differ only in case; they would "
                "collide on a case-insensitive file system"
            )
        seen[key] = stem
    if images:
        by_npz = [name[: -len(NPZ)] for name in sorted(s + NPZ for s in stems)]
        by_jpg = [name[: -len(JPG)] for name in sorted(s + JPG for s in stems)]
        for a, b in zip(by_npz, by_jpg, strict=True):
            if a != b:
                raise SessionError(
                    f"export: stems {a!r} and {b!r} sort differently as .npz and .jpg files, so "
                    "the official loader (sorted pairing) would pair a vector with the wrong "
                    "image; rename those scenes (avoid '.' inside ids)"
                )
