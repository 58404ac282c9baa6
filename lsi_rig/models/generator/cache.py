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
import os
import re
import time
from pathlib import Path
from typing import Any

import torch
from pydantic import TypeAdapter, ValidationError
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

import lsi_rig
from lsi_rig.core.errors import ModelError
from lsi_rig.models.generator.bounds import check_bounds
from lsi_rig.models.generator.records import (
    GeneratorRecords,
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
MAX_META_BYTES = 16 << 20


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def convert_generator(pkl_path: str | Path, out_dir: str | Path) -> Path:
    """Read ``G_ema.synthesis`` from the pickle (restricted) and write the cache; return out_dir.

    The pickle is read and checked before ``out_dir`` is touched; the tensors are written under
    a temporary name and the JSON last, so a failed conversion leaves neither a half cache nor a
    folder it created.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ModelError(f"cannot write generator cache {out}: it is a file, not a folder")
    records = load_generator_records(pkl_path)
    missing = [p for p in (out, *out.parents) if not p.exists()]
    tensors_path = out / TENSORS_FILE
    temp = out / f".{TENSORS_FILE}.partial-{os.getpid()}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in records.tensors.items()}, str(temp))
        meta = {
            "format": CACHE_FORMAT,
            "written_by": f"lsi-rig {lsi_rig.__version__}",
            "written_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tensors_file": TENSORS_FILE,
            "tensors_sha256": _sha256(temp),
            "provenance": records.provenance,
            "synthesis": dataclasses.asdict(records.attrs),
        }
        os.replace(temp, tensors_path)
        (out / META_FILE).write_text(json.dumps(meta, indent=1) + "\n")
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        for folder in missing:  # innermost first; only folders this call created
            try:
                folder.rmdir()
            except OSError:
                break
        if isinstance(exc, (OSError, SafetensorError)):
            raise ModelError(f"cannot write generator cache {out}: {exc}") from exc
        raise
    log.info("converted %s -> %s (%d tensors)", pkl_path, out, len(records.tensors))
    return out


@dataclasses.dataclass(frozen=True)
class CacheMeta:
    """``generator.json``: what the cache holds and where it came from (types checked)."""

    format: str
    written_by: str
    written_utc: str
    tensors_file: str
    tensors_sha256: str
    synthesis: SynthesisAttrs
    provenance: dict[str, Any] = dataclasses.field(default_factory=dict)


_META = TypeAdapter(CacheMeta)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def read_cache_meta(cache: Path) -> CacheMeta:
    """The cache's ``generator.json``, validated: a list, a wrong type, a missing key or a
    tensors file outside the cache is one clear ModelError naming the key."""
    meta_path = cache / META_FILE
    redo = "re-run 'lsi-rig models convert'"
    try:
        if meta_path.stat().st_size > MAX_META_BYTES:
            raise ModelError(f"{meta_path} is larger than {MAX_META_BYTES} bytes; {redo}")
        text = meta_path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{meta_path} is missing or unreadable ({exc}); {redo}") from exc
    try:
        head = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ModelError(f"{meta_path} is not valid JSON ({exc}); {redo}") from exc
    if not isinstance(head, dict):
        raise ModelError(f"{meta_path} holds a JSON {type(head).__name__}, not an object; {redo}")
    if head.get("format") != CACHE_FORMAT:
        raise ModelError(
            f"{meta_path} has format {str(head.get('format'))[:80]!r}, need {CACHE_FORMAT!r}"
        )
    try:
        meta = _META.validate_json(text, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ModelError(f"{meta_path}: {where}: {first['msg']}; {redo}") from exc
    name = meta.tensors_file
    if name in ("", ".", "..") or Path(name).name != name or "\\" in name:
        raise ModelError(f"{meta_path}: tensors_file {name[:80]!r} is not a file name in {cache}")
    if not _SHA256.match(meta.tensors_sha256):
        raise ModelError(f"{meta_path}: tensors_sha256 is not a SHA-256 hex digest; {redo}")
    return meta


def load_cached_records(cache_dir: str | Path, *, verify: bool = True) -> GeneratorRecords:
    """Records from a cache directory; ``verify`` checks the tensors file's SHA-256."""
    cache = Path(cache_dir)
    meta = read_cache_meta(cache)
    tensors_path = cache / meta.tensors_file
    if not tensors_path.is_file():
        raise ModelError(f"{tensors_path} is missing (or not a regular file); re-run convert")
    if verify and _sha256(tensors_path) != meta.tensors_sha256:
        raise ModelError(f"{tensors_path} does not match its SHA-256 in {cache / META_FILE}")
    check_bounds(meta.synthesis)  # before a single tensor is read
    try:
        tensors = load_file(str(tensors_path), device="cpu")
    except (OSError, SafetensorError, ValueError) as exc:
        raise ModelError(f"cannot read {tensors_path}: {exc}") from exc
    check_consistency(meta.synthesis, tensors)
    return GeneratorRecords(meta.synthesis, tensors, dict(meta.provenance))


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
