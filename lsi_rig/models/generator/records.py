"""Typed description of a StyleGAN-XL synthesis network, read from pickle records.

Why: the network's geometry (layer names, channels, sizes, filters, paddings, up/down factors,
clamps, gains) is data stored in the NVIDIA pickle; reading it instead of re-deriving it keeps
us faithful to the trained file. Everything needed to run synthesis ends up in
:class:`GeneratorRecords`: JSON-able attributes plus a flat dict of float32 tensors whose keys
are the network's ``state_dict`` keys (``input.weight``, ``L0_36_1024.affine.bias``, ...).
"""

from __future__ import annotations

import hashlib
import re
import reprlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lsi_rig.core.errors import ModelError
from lsi_rig.models.generator.bounds import check_bounds, check_finite
from lsi_rig.models.pickle_safe import PersistentRecord, is_stub, load_restricted

__all__ = [
    "GeneratorRecords",
    "InputAttrs",
    "LayerAttrs",
    "SynthesisAttrs",
    "file_provenance",
    "load_generator_records",
    "records_from_pickle_object",
]

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 60, 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = 8


def _short(value: Any) -> str:
    """A bounded repr for messages: pickle values may be huge or nested beyond recursion."""
    return _REPR.repr(value)


@dataclass(frozen=True)
class InputAttrs:
    """Fourier-feature input: ``channels`` sinusoids sampled on a ``size`` grid."""

    channels: int
    size: tuple[int, int]  # (width, height) in pixels
    sampling_rate: float
    bandwidth: float
    affine_weight_gain: float
    affine_bias_gain: float


@dataclass(frozen=True)
class LayerAttrs:
    """One SynthesisLayer (or the final ToRGB) exactly as stored in the pickle."""

    name: str
    is_torgb: bool
    in_channels: int
    out_channels: int
    in_size: tuple[int, int]  # (width, height)
    out_size: tuple[int, int]
    conv_kernel: int
    conv_clamp: float | None
    up_factor: int
    down_factor: int
    padding: tuple[int, int, int, int]  # x0, x1, y0, y1
    affine_weight_gain: float
    affine_bias_gain: float
    in_sampling_rate: float | None = None
    out_sampling_rate: float | None = None
    tmp_sampling_rate: float | None = None
    in_cutoff: float | None = None
    out_cutoff: float | None = None
    in_half_width: float | None = None
    out_half_width: float | None = None
    is_critically_sampled: bool | None = None


@dataclass(frozen=True)
class SynthesisAttrs:
    layer_names: list[str]
    num_ws: int
    w_dim: int
    img_resolution: int
    img_channels: int
    output_scale: float
    input: InputAttrs
    layers: list[LayerAttrs]


@dataclass
class GeneratorRecords:
    """Attributes + tensors of ``G_ema.synthesis``; all that synthesis needs, no code."""

    attrs: SynthesisAttrs
    tensors: dict[str, torch.Tensor]
    provenance: dict[str, Any] = field(default_factory=dict)


def _plain(value: Any, what: str) -> Any:
    """numpy scalars/arrays -> Python numbers/lists; stubs are an error (data, not code)."""
    if is_stub(value):
        raise ModelError(f"{what} is an unknown object in the pickle, expected a number")
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, torch.Tensor):
        return value.tolist()
    return value


def _attr(rec: PersistentRecord, key: str, what: str, *, optional: bool = False) -> Any:
    if key not in rec.state:
        if optional:
            return None
        raise ModelError(f"{what} ({rec.class_name}) lacks attribute {_short(key)}")
    return _plain(rec.state[key], f"{what}.{key}")


def _int(rec: PersistentRecord, key: str, what: str) -> int:
    value = _attr(rec, key, what)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise ModelError(f"{what}.{key} = {_short(value)} is not an integer")
    return int(value)


def _float(rec: PersistentRecord, key: str, what: str, *, optional: bool = False) -> Any:
    value = _attr(rec, key, what, optional=optional)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelError(f"{what}.{key} = {_short(value)} is not a number")
    return float(value)


def _pair(rec: PersistentRecord, key: str, what: str) -> tuple[int, int]:
    value = _attr(rec, key, what)
    if isinstance(value, (int, float)):
        value = [value, value]
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ModelError(f"{what}.{key} = {_short(value)} is not a (width, height) pair")
    return int(value[0]), int(value[1])


def _child(rec: PersistentRecord, name: str, what: str) -> PersistentRecord:
    child = rec.modules().get(name)
    if not isinstance(child, PersistentRecord):
        raise ModelError(f"{what} ({rec.class_name}) has no persistent submodule {_short(name)}")
    return child


def _tensor(rec: PersistentRecord, kind: str, key: str, what: str, *, optional: bool = False):
    value = rec.tensors(kind).get(key)
    if value is None:
        if optional:
            return None
        raise ModelError(f"{what} ({rec.class_name}) lacks tensor {_short(key)}")
    if not isinstance(value, torch.Tensor):
        raise ModelError(f"{what}.{key} is a {type(value).__name__}, expected a tensor")
    return value.detach().to(torch.float32).contiguous().clone()


def _affine(rec: PersistentRecord, what: str, out: dict[str, torch.Tensor], prefix: str):
    fc = _child(rec, "affine", what)
    out[f"{prefix}.affine.weight"] = _tensor(fc, "_parameters", "weight", f"{what}.affine")
    out[f"{prefix}.affine.bias"] = _tensor(fc, "_parameters", "bias", f"{what}.affine")
    activation = _attr(fc, "activation", f"{what}.affine", optional=True)
    if activation not in (None, "linear"):
        raise ModelError(f"{what}.affine has activation {_short(activation)}, expected 'linear'")
    return (
        _float(fc, "weight_gain", f"{what}.affine"),
        _float(fc, "bias_gain", f"{what}.affine"),
    )


def _input(rec: PersistentRecord, out: dict[str, torch.Tensor]) -> InputAttrs:
    what = "synthesis.input"
    out["input.weight"] = _tensor(rec, "_parameters", "weight", what)
    for key in ("transform", "freqs", "phases"):
        out[f"input.{key}"] = _tensor(rec, "_buffers", key, what)
    wg, bg = _affine(rec, what, out, "input")
    return InputAttrs(
        channels=_int(rec, "channels", what),
        size=_pair(rec, "size", what),
        sampling_rate=_float(rec, "sampling_rate", what),
        bandwidth=_float(rec, "bandwidth", what),
        affine_weight_gain=wg,
        affine_bias_gain=bg,
    )


def _layer(name: str, rec: PersistentRecord, out: dict[str, torch.Tensor]) -> LayerAttrs:
    what = f"synthesis.{name}"
    out[f"{name}.weight"] = _tensor(rec, "_parameters", "weight", what)
    out[f"{name}.bias"] = _tensor(rec, "_parameters", "bias", what)
    out[f"{name}.magnitude_ema"] = _tensor(rec, "_buffers", "magnitude_ema", what)
    for key in ("up_filter", "down_filter"):
        filt = _tensor(rec, "_buffers", key, what, optional=True)
        if filt is not None:
            out[f"{name}.{key}"] = filt
    wg, bg = _affine(rec, what, out, name)
    padding = _attr(rec, "padding", what)
    if not isinstance(padding, (list, tuple)) or len(padding) != 4:
        raise ModelError(f"{what}.padding = {_short(padding)} is not [x0, x1, y0, y1]")
    clamp = _float(rec, "conv_clamp", what, optional=True)
    critical = _attr(rec, "is_critically_sampled", what, optional=True)
    return LayerAttrs(
        name=name,
        is_torgb=bool(_attr(rec, "is_torgb", what)),
        in_channels=_int(rec, "in_channels", what),
        out_channels=_int(rec, "out_channels", what),
        in_size=_pair(rec, "in_size", what),
        out_size=_pair(rec, "out_size", what),
        conv_kernel=_int(rec, "conv_kernel", what),
        conv_clamp=clamp,
        up_factor=_int(rec, "up_factor", what),
        down_factor=_int(rec, "down_factor", what),
        padding=(int(padding[0]), int(padding[1]), int(padding[2]), int(padding[3])),
        affine_weight_gain=wg,
        affine_bias_gain=bg,
        in_sampling_rate=_float(rec, "in_sampling_rate", what, optional=True),
        out_sampling_rate=_float(rec, "out_sampling_rate", what, optional=True),
        tmp_sampling_rate=_float(rec, "tmp_sampling_rate", what, optional=True),
        in_cutoff=_float(rec, "in_cutoff", what, optional=True),
        out_cutoff=_float(rec, "out_cutoff", what, optional=True),
        in_half_width=_float(rec, "in_half_width", what, optional=True),
        out_half_width=_float(rec, "out_half_width", what, optional=True),
        is_critically_sampled=None if critical is None else bool(critical),
    )


def records_from_pickle_object(obj: Any, *, key: str = "G_ema") -> GeneratorRecords:
    """Pick ``G_ema.synthesis`` out of an unpickled snapshot dict and check its consistency."""
    if isinstance(obj, dict):
        if key not in obj:
            raise ModelError(
                f"generator pickle has no {_short(key)} entry (keys: {_short(list(obj))})"
            )
        gen = obj[key]
    else:
        gen = obj
    if not isinstance(gen, PersistentRecord):
        raise ModelError(f"{key} in the pickle is a {type(gen).__name__}, not a persistent net")
    syn = gen if gen.class_name == "SynthesisNetwork" else _child(gen, "synthesis", key)
    what = "synthesis"
    names = _attr(syn, "layer_names", what)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not names:
        raise ModelError(f"synthesis.layer_names is not a list of names: {_short(names)}")
    for name in names:
        if not _NAME_RE.match(name) or name == "input":
            raise ModelError(f"synthesis layer name {_short(name)} is not a plain identifier")
    tensors: dict[str, torch.Tensor] = {}
    input_attrs = _input(_child(syn, "input", what), tensors)
    layers = [_layer(n, _child(syn, n, what), tensors) for n in names]
    attrs = SynthesisAttrs(
        layer_names=list(names),
        num_ws=_int(syn, "num_ws", what),
        w_dim=_int(syn, "w_dim", what),
        img_resolution=_int(syn, "img_resolution", what),
        img_channels=_int(syn, "img_channels", what),
        output_scale=_float(syn, "output_scale", what),
        input=input_attrs,
        layers=layers,
    )
    check_consistency(attrs, tensors)
    sources = sorted(
        {
            r.module_src_sha256
            for r in (gen, syn, _child(syn, "input", what), *(_child(syn, n, what) for n in names))
        }
    )
    return GeneratorRecords(attrs, tensors, {"module_src_sha256": sources})


def upfirdn_out_len(n: int, taps: int, up: int, down: int, pad0: int, pad1: int) -> int:
    """Length after zero-insertion by ``up``, padding, a ``taps`` FIR and keeping every ``down``."""
    return (n * up + pad0 + pad1 - taps) // down + 1


def check_consistency(attrs: SynthesisAttrs, tensors: dict[str, torch.Tensor]) -> None:
    """Fail loudly when shapes, channels or sizes do not chain (corrupt or unexpected file),
    when a declared size is implausible, or when a weight is NaN/Inf."""
    check_bounds(attrs)
    if attrs.num_ws != len(attrs.layers) + 1:
        raise ModelError(f"num_ws = {attrs.num_ws} but the network has {len(attrs.layers)} layers")
    ia = attrs.input
    _shape(tensors, "input.weight", (ia.channels, ia.channels))
    _shape(tensors, "input.freqs", (ia.channels, 2))
    _shape(tensors, "input.phases", (ia.channels,))
    _shape(tensors, "input.transform", (3, 3))
    _shape(tensors, "input.affine.weight", (4, attrs.w_dim))
    channels, size = ia.channels, ia.size
    for la in attrs.layers:
        n = la.name
        if la.in_channels != channels or la.in_size != size:
            raise ModelError(
                f"layer {n} expects {la.in_channels} ch {la.in_size} but gets {channels} ch {size}"
            )
        k = la.conv_kernel
        _shape(tensors, f"{n}.weight", (la.out_channels, la.in_channels, k, k))
        _shape(tensors, f"{n}.bias", (la.out_channels,))
        _shape(tensors, f"{n}.affine.weight", (la.in_channels, attrs.w_dim))
        _shape(tensors, f"{n}.magnitude_ema", ())
        up, dn = tensors.get(f"{n}.up_filter"), tensors.get(f"{n}.down_filter")
        taps_up = 1 if up is None else up.shape[0]
        taps_dn = 1 if dn is None else dn.shape[0]
        for f in (up, dn):
            if f is not None and f.ndim not in (1, 2):
                raise ModelError(f"layer {n} has a {f.ndim}-D filter, expected 1-D or 2-D")
        x0, x1, y0, y1 = la.padding
        for axis, (p0, p1) in enumerate(((x0, x1), (y0, y1))):
            m = size[axis] + k - 1
            m = upfirdn_out_len(m, taps_up, la.up_factor, 1, p0, p1)
            m = upfirdn_out_len(m, taps_dn, 1, la.down_factor, 0, 0)
            if m != la.out_size[axis]:
                raise ModelError(
                    f"layer {n}: padding {la.padding} gives size {m} on axis {axis}, "
                    f"but the pickle says {la.out_size[axis]}"
                )
        channels, size = la.out_channels, la.out_size
    if not attrs.layers[-1].is_torgb or channels != attrs.img_channels:
        raise ModelError("the last synthesis layer is not a ToRGB producing img_channels")
    check_finite(tensors)


def _shape(tensors: dict[str, torch.Tensor], key: str, shape: tuple[int, ...]) -> None:
    if key not in tensors:
        raise ModelError(f"generator tensor {key} is missing")
    if tuple(tensors[key].shape) != shape:
        raise ModelError(f"generator tensor {key} has shape {tuple(tensors[key].shape)}, {shape}")


def file_provenance(path: Path) -> dict[str, Any]:
    """Name, size and SHA-256 of the source file, so results can name their exact weights."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return {
        "source_file": path.name,
        "source_size": path.stat().st_size,
        "source_sha256": digest.hexdigest(),
    }


def load_generator_records(path: str | Path) -> GeneratorRecords:
    """Read ``G_ema.synthesis`` from an NVIDIA pickle through the restricted unpickler."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"generator pickle {path} does not exist; pass the ffhq256.pkl path")
    snapshot = load_restricted(path)
    try:
        records = records_from_pickle_object(snapshot)
    except RecursionError as exc:
        raise ModelError(f"{path}: the generator's structure is nested too deep; refused") from exc
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from exc
    records.provenance.update(file_provenance(path))
    return records
