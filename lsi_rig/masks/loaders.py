"""Load a :class:`MaskSet` from a SPEC string: a demo set, an LSI checkpoint, an array file or
a folder of PNGs.

SPEC grammar (docs/masks.md)::

    demo:hadamard{16,32,64}[:COUNT]   built-in Walsh–Hadamard set, optionally its first COUNT
    PATH.pt | PATH.pth                official LSI checkpoint, masks = binarised mask.weight
    PATH.npy | PATH.npz               array [n, H, W] of 0/1 (npz: key "masks" or the only array)
    FOLDER                            PNGs, one mask per file, in natural file-name order

Whatever the source, the result is the same immutable bit stack and therefore the same hash.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

from lsi_rig.core.errors import MaskError
from lsi_rig.core.naming import natural_key  # noqa: F401  (re-exported for tests)
from lsi_rig.masks.arrayfile import read_npy, read_npz
from lsi_rig.masks.hadamard import DEMO_SIZES, walsh_patterns
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.masks.png import load_png_folder
from lsi_rig.masks.torchfile import torch_file_problem
from lsi_rig.masks.validate import binary_stack, check_count, warn_degenerate

logger = logging.getLogger(__name__)

_DEMO_RE = re.compile(r"^demo:hadamard(\d+)(?::(\d+))?$")
_CHECKPOINT_SUFFIXES = (".pt", ".pth")


def demo_mask_names() -> list[str]:
    """SPECs of the built-in demo sets (each also takes a ``:COUNT`` suffix)."""
    return [f"demo:hadamard{n}" for n in DEMO_SIZES]


def load_masks(spec: str, *, complementary: bool = False) -> MaskSet:
    """Load and validate the mask set named by ``spec`` (see module docstring).

    Raises :class:`MaskError` naming the file and what is wrong; logs a warning for all-zero
    or all-one masks and for non-square masks.
    """
    spec = str(spec).strip()
    if spec.startswith("demo:"):
        masks = _load_demo(spec)
    else:
        path = Path(spec).expanduser()
        if not path.exists():
            raise MaskError(
                f"mask source {spec!r} not found; give a demo name "
                f"({', '.join(demo_mask_names())}), a checkpoint .pt, an .npy/.npz file "
                "or a folder of PNGs"
            )
        path = path.resolve()
        suffix = path.suffix.lower()
        if path.is_dir():
            masks = load_png_folder(path)
        elif suffix in _CHECKPOINT_SUFFIXES:
            masks = _load_checkpoint(path)
        elif suffix == ".npy":
            masks = _load_npy(path)
        elif suffix == ".npz":
            masks = _load_npz(path)
        else:
            raise MaskError(
                f"{path}: unsupported mask file type {suffix!r}; use .pt, .npy, .npz "
                "or a folder of PNGs"
            )
    logger.info(
        "loaded mask set %s: n=%d, %dx%d, sha256 %s",
        masks.name,
        masks.n,
        *masks.shape,
        masks.sha256[:12],
    )
    return masks.with_complementary(complementary) if complementary else masks


def _load_demo(spec: str) -> MaskSet:
    match = _DEMO_RE.match(spec)
    if match is None or int(match.group(1)) not in DEMO_SIZES:
        raise MaskError(
            f"unknown demo mask set {spec!r}; choose one of {', '.join(demo_mask_names())} "
            "(optionally with :COUNT, e.g. demo:hadamard32:256)"
        )
    order = int(match.group(1))
    total = order * order
    count = total if match.group(2) is None else int(match.group(2))
    if not 1 <= count <= total:
        raise MaskError(f"{spec!r}: COUNT must be between 1 and {total}, got {count}")
    name = f"hadamard{order}" + (f":{count}" if count != total else "")
    return MaskSet(
        walsh_patterns(order, count),
        name=name,
        source=f"demo:{name}",
        metadata={"hadamard_n": str(order), "ordering": "walsh-shell"},
    )


def _load_checkpoint(path: Path) -> MaskSet:
    """Official LSI checkpoint: row i of ``mask.weight`` → 256×256 row-major, binarised as the
    training code does (clamp to [0, 1], round half to even)."""
    import torch  # lazy: torch is heavy and only needed for this source

    problem = torch_file_problem(path)
    if problem is not None:
        raise MaskError(f"{path}: cannot read checkpoint: {problem}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt / unsafe files
        raise MaskError(
            f"{path}: cannot read checkpoint ({type(exc).__name__}: {exc}); "
            "is it an official LSI .pt file?"
        ) from exc
    mask_state = ckpt.get("mask") if isinstance(ckpt, dict) else None
    weight = mask_state.get("weight") if isinstance(mask_state, dict) else None
    if not isinstance(weight, torch.Tensor):
        raise MaskError(f"{path}: no tensor at ckpt['mask']['weight']; not an LSI checkpoint")
    if weight.ndim != 2 or not weight.is_floating_point():
        raise MaskError(
            f"{path}: mask.weight must be a float matrix [n, H*W], got "
            f"{weight.dtype} shape {tuple(weight.shape)}"
        )
    n, pixels = (int(s) for s in weight.shape)
    check_count(n, f"{path} (mask.weight)")
    side = math.isqrt(pixels)
    if side * side != pixels:
        raise MaskError(
            f"{path}: mask.weight has {pixels} pixels per mask, not a square image "
            "(expected 65536 = 256×256)"
        )
    if not bool(torch.isfinite(weight).all()):
        row = int((~torch.isfinite(weight)).any(dim=1).nonzero()[0, 0])
        raise MaskError(f"{path}: mask.weight row {row} has NaN/inf values")
    binary = torch.round(torch.clamp(weight.detach().to(torch.float32), 0.0, 1.0))
    bits = binary.numpy().reshape(n, side, side) == 1.0
    warn_degenerate(bits, str(path))
    return MaskSet(bits, name=path.stem, source=str(path))


def _load_npy(path: Path) -> MaskSet:
    array = read_npy(path)
    return MaskSet(binary_stack(array, str(path)), name=path.stem, source=str(path))


def _load_npz(path: Path) -> MaskSet:
    array, key = read_npz(path)
    return MaskSet(binary_stack(array, f"{path}[{key}]"), name=path.stem, source=str(path))
