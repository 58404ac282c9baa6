"""Demo model files: one JSON manifest plus safetensors, no pickle anywhere.

Layout of a weights folder (the shipped one is ``lsi_rig/models/demo/weights/``)::

    model.json          format, version, architecture constants, counts, default count,
                        per-count file names and mask hashes, attribute priors, training record
    shared.safetensors  generator.* and parsing.* (shared by every count)
    n<N>.safetensors    encoder.*, heads.* and mask.bits (uint8 [N, 128]: the 32×32 binary
                        grid of each mask, np.packbits row-major, little bit order)

The 256×256 DMD masks are the grids block-upsampled by 8; their v1 content hash
(``lsi_rig.masks.maskset.maskset_sha256``) is in the manifest and checked on load.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from lsi_rig.core.errors import ModelError
from lsi_rig.models.demo import network as N

FORMAT = "lsi-rig-demo-model"
#: 2: the parsing head reads the generator's RGB too (3×3 convolutions, ``N.ParsingHead``)
VERSION = 2
MANIFEST = "model.json"
SHARED_FILE = "shared.safetensors"


def count_file(n: int) -> str:
    return f"n{n}.safetensors"


def pack_mask_bits(bits: np.ndarray) -> np.ndarray:
    """bool [n, 32, 32] → uint8 [n, 128]."""
    n = bits.shape[0]
    return np.packbits(bits.reshape(n, -1).astype(bool), axis=1, bitorder="little")


def unpack_mask_bits(packed: np.ndarray) -> np.ndarray:
    """uint8 [n, 128] → bool [n, 32, 32]."""
    cells = N.MASK_GRID * N.MASK_GRID
    flat = np.unpackbits(packed, axis=1, count=cells, bitorder="little").astype(bool)
    return flat.reshape(-1, N.MASK_GRID, N.MASK_GRID)


def dmd_masks(grid_bits: np.ndarray) -> np.ndarray:
    """bool [n, 32, 32] → bool [n, 256, 256] (each cell an 8×8 block of mask pixels)."""
    return grid_bits.repeat(N.BLOCK, axis=1).repeat(N.BLOCK, axis=2)


def _prefixed(prefix: str, module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {
        f"{prefix}.{k}": v.detach().contiguous().clone() for k, v in module.state_dict().items()
    }


def save_weights(
    out_dir: Path,
    *,
    generator: N.Generator,
    parsing: N.ParsingHead,
    counts: dict[int, tuple[N.MeasurementEncoder, N.LatentHeads, np.ndarray]],
    manifest_extra: dict[str, Any],
    default_count: int,
) -> Path:
    """Write a weights folder; ``counts[n] = (encoder, heads, grid bits bool [n, 32, 32])``."""
    from lsi_rig.masks.maskset import maskset_sha256

    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(
        {**_prefixed("generator", generator), **_prefixed("parsing", parsing)},
        str(out_dir / SHARED_FILE),
    )
    per_count: dict[str, Any] = {}
    for n, (encoder, heads, bits) in sorted(counts.items()):
        tensors = {**_prefixed("encoder", encoder), **_prefixed("heads", heads)}
        tensors["mask.bits"] = torch.from_numpy(pack_mask_bits(bits))
        save_file(tensors, str(out_dir / count_file(n)))
        per_count[str(n)] = {"file": count_file(n), "mask_sha256": maskset_sha256(dmd_masks(bits))}
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": {
            "latent": N.LATENT,
            "mask_grid": N.MASK_GRID,
            "image_size": N.IMAGE_SIZE,
            "output_size": N.OUTPUT_SIZE,
            "measurement_scale": N.MEASUREMENT_SCALE,
            "generator_channels": list(N.Generator.channels),
            "parsing_head": {
                "inputs": "generator features 32² + 64², RGB 64²",
                "coarse_channels": N.ParsingHead.coarse_channels,
                "hidden": N.ParsingHead.hidden,
            },
        },
        "shared": SHARED_FILE,
        "default_count": default_count,
        "counts": per_count,
        **manifest_extra,
    }
    path = out_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(
            f"{path}: no demo model here (train one with 'lsi-rig models train-demo --out DIR')"
        ) from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: unreadable demo model manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelError(f"{path}: not a demo model manifest (format must be {FORMAT!r})")
    if manifest.get("version") != VERSION:
        raise ModelError(
            f"{path}: demo model version {manifest.get('version')!r}; this lsi-rig "
            f"reads version {VERSION}"
        )
    arch = manifest.get("architecture", {})
    expected = {"latent": N.LATENT, "mask_grid": N.MASK_GRID, "output_size": N.OUTPUT_SIZE}
    for key, value in expected.items():
        if arch.get(key) != value:
            raise ModelError(f"{path}: architecture.{key} is {arch.get(key)!r}, expected {value}")
    counts = manifest.get("counts")
    if not isinstance(counts, dict) or not counts:
        raise ModelError(f"{path}: 'counts' must list at least one measurement count")
    return manifest


def _load(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(path))
    except FileNotFoundError:
        raise ModelError(f"{path}: missing (the demo model folder is incomplete)") from None
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"{path}: not a readable safetensors file ({exc})") from None


def _sub(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def _fill(module: torch.nn.Module, state: dict[str, torch.Tensor], path: Path, part: str) -> None:
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "mismatch"
        raise ModelError(
            f"{path}: '{part}' tensors do not fit the demo architecture ({first})"
        ) from None


def load_shared(folder: Path, manifest: dict[str, Any]) -> tuple[N.Generator, N.ParsingHead]:
    path = folder / str(manifest.get("shared", SHARED_FILE))
    tensors = _load(path)
    generator, parsing = N.Generator(), N.ParsingHead()
    _fill(generator, _sub(tensors, "generator"), path, "generator")
    _fill(parsing, _sub(tensors, "parsing"), path, "parsing")
    return generator.eval(), parsing.eval()


def load_count(
    folder: Path, manifest: dict[str, Any], n: int
) -> tuple[N.MeasurementEncoder, N.LatentHeads, np.ndarray]:
    """Encoder, heads and grid bits bool [n, 32, 32] of count ``n`` (hash-checked)."""
    from lsi_rig.masks.maskset import maskset_sha256

    entry = manifest["counts"].get(str(n))
    if not isinstance(entry, dict):
        have = sorted(int(k) for k in manifest["counts"])
        raise ModelError(f"the demo model has no {n}-measurement version (it has {have})")
    path = folder / str(entry.get("file", count_file(n)))
    tensors = _load(path)
    bits_packed = tensors.get("mask.bits")
    cells = N.MASK_GRID * N.MASK_GRID // 8
    if (
        bits_packed is None
        or tuple(bits_packed.shape) != (n, cells)
        or bits_packed.dtype != torch.uint8
    ):
        raise ModelError(f"{path}: 'mask.bits' must be uint8 [{n}, {cells}]")
    bits = unpack_mask_bits(bits_packed.numpy())
    if maskset_sha256(dmd_masks(bits)) != entry.get("mask_sha256"):
        raise ModelError(f"{path}: masks do not match the hash in {MANIFEST} (corrupt file?)")
    encoder, heads = N.MeasurementEncoder(n), N.LatentHeads()
    _fill(encoder, _sub(tensors, "encoder"), path, "encoder")
    _fill(heads, _sub(tensors, "heads"), path, "heads")
    return encoder.eval(), heads.eval(), bits
