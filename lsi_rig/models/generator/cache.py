"""Pickle-free generator cache: ``synthesis.safetensors`` + ``generator.json``.

Why: unpickling the 1+ GB NVIDIA snapshot takes a while and needs the restricted unpickler
every time; the converted cache loads in seconds, involves no pickle at all, and records where
its weights came from (source file name, size, SHA-256, hashes of the embedded training code).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

import lsi_rig
from lsi_rig.core.errors import ModelError
from lsi_rig.models.generator.records import (
    GeneratorRecords,
    InputAttrs,
    LayerAttrs,
    SynthesisAttrs,
    check_consistency,
    load_generator_records,
)
from lsi_rig.models.generator.synthesis import SynthesisNetwork

log = logging.getLogger(__name__)

__all__ = ["CACHE_FORMAT", "convert_generator", "load_cached_records", "load_generator"]

CACHE_FORMAT = "lsi-rig/stylegan-xl-synthesis/1"
TENSORS_FILE = "synthesis.safetensors"
META_FILE = "generator.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def convert_generator(pkl_path: str | Path, out_dir: str | Path) -> Path:
    """Read ``G_ema.synthesis`` from the pickle (restricted) and write the cache; return out_dir."""
    records = load_generator_records(pkl_path)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        tensors_path = out / TENSORS_FILE
        save_file({k: v.contiguous() for k, v in records.tensors.items()}, str(tensors_path))
        meta = {
            "format": CACHE_FORMAT,
            "written_by": f"lsi-rig {lsi_rig.__version__}",
            "written_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tensors_file": TENSORS_FILE,
            "tensors_sha256": _sha256(tensors_path),
            "provenance": records.provenance,
            "synthesis": dataclasses.asdict(records.attrs),
        }
        (out / META_FILE).write_text(json.dumps(meta, indent=1) + "\n")
    except OSError as exc:
        raise ModelError(f"cannot write generator cache {out}: {exc}") from exc
    log.info("converted %s -> %s (%d tensors)", pkl_path, out, len(records.tensors))
    return out


def _attrs_from_json(d: dict[str, Any], where: Path) -> SynthesisAttrs:
    try:
        inp = dict(d["input"])
        inp["size"] = tuple(inp["size"])
        layers = []
        for la in d["layers"]:
            la = dict(la)
            for key in ("in_size", "out_size", "padding"):
                la[key] = tuple(la[key])
            layers.append(LayerAttrs(**la))
        rest = {k: v for k, v in d.items() if k not in ("input", "layers")}
        return SynthesisAttrs(input=InputAttrs(**inp), layers=layers, **rest)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{where} has a malformed 'synthesis' section: {exc}") from exc


def load_cached_records(cache_dir: str | Path, *, verify: bool = True) -> GeneratorRecords:
    """Records from a cache directory; ``verify`` checks the tensors file's SHA-256."""
    cache = Path(cache_dir)
    meta_path = cache / META_FILE
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(
            f"{meta_path} is missing or unreadable ({exc}); re-run 'lsi-rig models convert'"
        ) from exc
    if meta.get("format") != CACHE_FORMAT:
        raise ModelError(f"{meta_path} has format {meta.get('format')!r}, need {CACHE_FORMAT!r}")
    tensors_path = cache / str(meta.get("tensors_file", TENSORS_FILE))
    if verify and (
        not tensors_path.is_file() or _sha256(tensors_path) != meta.get("tensors_sha256")
    ):
        raise ModelError(f"{tensors_path} is missing or does not match its SHA-256 in {meta_path}")
    try:
        tensors = load_file(str(tensors_path), device="cpu")
    except (OSError, SafetensorError) as exc:
        raise ModelError(f"cannot read {tensors_path}: {exc}") from exc
    attrs = _attrs_from_json(meta.get("synthesis", {}), meta_path)
    check_consistency(attrs, tensors)
    return GeneratorRecords(attrs, tensors, dict(meta.get("provenance", {})))


def load_generator(path: str | Path, *, device: str | torch.device = "cpu") -> SynthesisNetwork:
    """NVIDIA pickle (``.pkl``, ``G_ema`` used) or converted cache directory → network."""
    path = Path(path)
    if path.is_dir():
        records = load_cached_records(path)
    elif path.is_file():
        records = load_generator_records(path)
    else:
        raise ModelError(f"generator {path} does not exist (expected ffhq256.pkl or a cache dir)")
    net = SynthesisNetwork(records)
    try:
        return net.to(torch.device(device))
    except (RuntimeError, AssertionError) as exc:
        raise ModelError(f"cannot move the generator to device {device!r}: {exc}") from exc
