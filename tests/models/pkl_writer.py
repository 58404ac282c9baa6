"""Write StyleGAN-XL-like NVIDIA "persistence" pickles for tests, without NVIDIA code.

The files mimic ``ffhq256.pkl`` (lsi-model.md §6.1, §7.1, §7.5): a dill protocol-3 dump of
``{'G', 'D', 'G_ema', 'augment_pipe', 'progress', 'training_set_kwargs'}`` where every
persistent network object reduces to ``torch_utils.persistence._reconstruct_persistent_obj(meta)``
with the state of an ``nn.Module.__dict__``; tensors are pickled through
``torch.storage._load_from_bytes`` (optionally with CUDA-tagged storages); numpy globals use
numpy-1 names; ``D`` references unknown modules (fake ``timm``/``pg_modules``), a bound method
and a closure pickled by value, to exercise the stubs.

Configs: ``"tiny"`` (5 layers, few channels, 16² output) and ``"B"`` (full-size FFHQ-256
config B of §6.4 with random weights). Use :func:`make_generator_records` or
:func:`tiny_synthesis_network` to get a network without writing a file.
"""

from __future__ import annotations

import collections
import contextlib
import io
import sys
import types
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dill
import numpy as np
import scipy.signal
import torch

from lsi_rig.models.generator.records import GeneratorRecords, records_from_pickle_object
from lsi_rig.models.pickle_safe import PersistentRecord

MODULE_SRC = "# stand-in for training/networks_stylegan3_resetting.py; never executed\n"
MARKER_FILE_ENV = "LSI_RIG_PKL_MARKER"


@dataclass(frozen=True)
class LayerRow:
    """One row of the layer table (lsi-model.md §6.4)."""

    name: str
    c_in: int
    c_out: int
    size_in: int
    size_out: int
    s_in: float
    s_out: float
    s_tmp: float
    fc_in: float
    fc_out: float
    fh_in: float
    fh_out: float
    k: int
    up: int
    down: int
    taps_up: int
    taps_dn: int
    critical: bool = False
    padding_expected: tuple[int, int, int, int] | None = None


# lsi-model.md §6.4, config B. Columns: name c_in c_out size_in size_out s_in s_out s_tmp
# fc_in fc_out fh_in fh_out k up down taps_up taps_dn critical padding(x0,x1,y0,y1)
_B_TABLE = """
L0_36_1024  1024 1024  36  36  16  16  32  2.0     2.0     6.0     6.0     3 2 2 12 12 N 9,8,9,8
L1_36_1024  1024 1024  36  36  16  16  32  2.0     2.5937  6.0     5.4063  3 2 2 12 12 N 9,8,9,8
L2_36_1024  1024 1024  36  36  16  16  32  2.5937  3.3636  5.4063  4.6364  3 2 2 12 12 N 9,8,9,8
L3_36_1024  1024 1024  36  36  16  16  32  3.3636  4.362   4.6364  3.638   3 2 2 12 12 N 9,8,9,8
L4_52_1024  1024 1024  36  52  16  32  64  4.362   5.6569  3.638   10.3431 3 4 2 24 12 N -6,-9,-6,-9
L5_52_1024  1024 1024  52  52  32  32  64  5.6569  7.336   10.3431 8.664   3 2 2 12 12 N 9,8,9,8
L6_52_1024  1024 1024  52  52  32  32  64  7.336   9.5137  8.664   6.4863  3 2 2 12 12 N 9,8,9,8
L7_52_1024  1024 1024  52  52  32  32  64  9.5137  12.3377 6.4863  3.942   3 2 2 12 12 N 9,8,9,8
L9_52_1024  1024 1024  52  52  32  32  64  12.3377 12.3377 3.942   3.942   3 2 2 12 12 N 9,8,9,8
L10_84_1024 1024 1024  52  84  32  64  128 12.3377 19.8697 3.942   12.1303 3 4 2 24 12 N -6,-9,-6,-9
L11_84_1024 1024 1024  84  84  64  64  128 19.8697 19.8697 12.1303 12.1303 3 2 2 12 12 N 9,8,9,8
L12_148_919 1024 919   84  148 64  128 256 19.8697 35.6604 12.1303 28.3396 3 4 2 24 12 N -6,-9,-6,-9
L13_148_919 919  919   148 148 128 128 256 35.6604 35.6604 28.3396 28.3396 3 2 2 12 12 N 9,8,9,8
L14_276_485 919  485   148 276 128 256 512 35.6604 67.5613 28.3396 60.4387 3 4 2 24 12 N -6,-9,-6,-9
L15_276_256 485  256   276 276 256 256 512 67.5613 128     60.4387 29.5865 3 2 2 12 12 Y 9,8,9,8
L16_256_256 256  256   276 256 256 256 512 128 128 29.5865 29.5865 3 2 2 12 12 Y -11,-12,-11,-12
L17_256_3   256  3     256 256 256 256 256 128     128     29.5865 29.5865 1 1 1 1  1  Y 0,0,0,0
"""


def _b_rows() -> list[LayerRow]:
    rows = []
    for line in _B_TABLE.strip().splitlines():
        f = line.split()
        ints = [int(v) for v in f[1:5]]
        floats = [float(v) for v in f[5:12]]
        k, up, down, taps_up, taps_dn = (int(v) for v in f[12:17])
        pad = tuple(int(v) for v in f[18].split(","))
        rows.append(LayerRow(f[0], *ints, *floats, k, up, down, taps_up, taps_dn,
                             f[17] == "Y", pad))  # type: ignore[arg-type]  # fmt: skip
    return rows


def _tiny_rows() -> list[LayerRow]:
    r = LayerRow
    return [
        r("L0_12_8", 8, 8, 12, 12, 4, 4, 8, 1.0, 1.2, 1.5, 1.3, 3, 2, 2, 12, 12),
        r("L1_20_6", 8, 6, 12, 20, 4, 8, 16, 1.2, 2.5, 1.3, 1.5, 3, 4, 2, 24, 12),
        r("L2_20_4", 6, 4, 20, 20, 8, 8, 16, 2.5, 2.5, 1.5, 1.5, 3, 2, 2, 12, 12),
        r("L4_16_4", 4, 4, 20, 16, 8, 8, 16, 2.5, 2.5, 1.5, 1.5, 3, 2, 2, 12, 12, True),
        r("L5_16_3", 4, 3, 16, 16, 8, 8, 8, 2.5, 2.5, 1.5, 1.5, 1, 1, 1, 1, 1, True),
    ]


CONFIGS = {
    # name: (rows, input channels, input size, input sampling rate, bandwidth, w_dim)
    "B": (_b_rows, 1024, 36, 16.0, 2.0, 512),
    "tiny": (_tiny_rows, 8, 12, 4.0, 1.0, 16),
}


def padding_rule(row: LayerRow) -> tuple[int, int, int, int]:
    """§6.4: total = (out−1)·down + 1 − (in+k−1)·up + taps_up + taps_dn − 2; lo = (total+up)//2."""
    total = (
        (row.size_out - 1) * row.down
        + 1
        - (row.size_in + row.k - 1) * row.up
        + row.taps_up
        + row.taps_dn
        - 2
    )
    lo = (total + row.up) // 2
    return (lo, total - lo, lo, total - lo)


def _design(taps: int, cutoff: float, half_width: float, fs: float) -> torch.Tensor | None:
    if taps == 1:
        return None
    f = scipy.signal.firwin(numtaps=taps, cutoff=cutoff, width=half_width * 2, fs=fs)
    return torch.as_tensor(f, dtype=torch.float32)


class _Persistent:
    """Reduces like an NVIDIA persistent object: ``_reconstruct_persistent_obj(meta)``."""

    def __init__(self, class_name: str, state: dict[str, Any]) -> None:
        self.meta = {
            "type": "class",
            "version": 6,
            "module_src": MODULE_SRC,
            "class_name": class_name,
            "state": state,
        }

    def __reduce__(self):  # type: ignore[no-untyped-def]
        hook = sys.modules["torch_utils.persistence"]._reconstruct_persistent_obj
        return (hook, (self.meta,))


class _CudaTaggedStorage:
    """A storage whose legacy payload says it lived on ``cuda:0`` (as GPU-written files do)."""

    def __init__(self, t: torch.Tensor, cuda_class: bool) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            typed = torch.storage.TypedStorage(
                wrap_storage=t.untyped_storage(), dtype=t.dtype, _internal=True
            )
            payload = typed.__reduce__()[1][0]
        old = b"X\x03\x00\x00\x00cpu"
        assert payload.count(old) == 1
        payload = payload.replace(old, b"X\x06\x00\x00\x00cuda:0")
        if cuda_class:
            payload = payload.replace(b"ctorch\nFloatStorage\n", b"ctorch.cuda\nFloatStorage\n")
        self.payload = payload

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (torch.storage._load_from_bytes, (self.payload,))


class _CudaTaggedTensor:
    def __init__(self, t: torch.Tensor, parameter: bool, cuda_class: bool) -> None:
        self.t, self.parameter = t.contiguous(), parameter
        self.storage = _CudaTaggedStorage(self.t, cuda_class)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        t = self.t
        plain = (torch._utils._rebuild_tensor_v2, (self.storage, 0, tuple(t.shape), t.stride(),
                                                   False, collections.OrderedDict()))  # fmt: skip
        if not self.parameter:
            return plain
        return (torch._utils._rebuild_parameter, (_Reduced(plain), True, collections.OrderedDict()))


class _Reduced:
    def __init__(self, reduced: tuple) -> None:
        self.reduced = reduced

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return self.reduced


class _Builder:
    def __init__(self, seed: int, cuda_tagged: bool) -> None:
        self.gen = torch.Generator().manual_seed(seed)
        self.cuda_tagged = cuda_tagged
        self.count = 0

    def randn(self, *shape: int, scale: float = 1.0) -> torch.Tensor:
        return torch.randn(*shape, generator=self.gen) * scale

    def wrap(self, t: torch.Tensor, parameter: bool) -> Any:
        self.count += 1
        if self.cuda_tagged:  # alternate both CUDA storage spellings
            return _CudaTaggedTensor(t, parameter, cuda_class=self.count % 2 == 0)
        return torch.nn.Parameter(t, requires_grad=True) if parameter else t

    def module(self, cls: str, params: dict, buffers: dict, modules: dict, attrs: dict) -> Any:
        od = collections.OrderedDict
        state: dict[str, Any] = {"training": False}
        state["_parameters"] = od((k, self.wrap(v, True)) for k, v in params.items())
        state["_buffers"] = od((k, None if v is None else self.wrap(v, False))
                               for k, v in buffers.items())  # fmt: skip
        state["_non_persistent_buffers_set"] = set()
        for hooks in ("_backward_pre_hooks", "_backward_hooks", "_forward_hooks",
                      "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                      "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_state_dict_hooks",
                      "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                      "_load_state_dict_post_hooks"):  # fmt: skip
            state[hooks] = od()
        state["_is_full_backward_hook"] = None
        state["_modules"] = od(modules)
        state.update(attrs)
        state["_init_args"] = ()
        state["_init_kwargs"] = {k: v for k, v in attrs.items() if isinstance(v, (int, float))}
        return _Persistent(cls, state)

    def affine(self, c_in: int, c_out: int, bias_init: torch.Tensor) -> Any:
        return self.module(
            "FullyConnectedLayer",
            {"weight": self.randn(c_out, c_in), "bias": bias_init + self.randn(c_out, scale=0.1)},
            {},
            {},
            {"in_features": c_in, "out_features": c_out, "activation": "linear",
             "lr_multiplier": 1, "weight_gain": np.float64(1 / np.sqrt(c_in)), "bias_gain": 1},
        )  # fmt: skip


def _synthesis(b: _Builder, config: str) -> tuple[Any, list[LayerRow]]:
    rows_fn, ch, size, rate, bandwidth, w_dim = CONFIGS[config]
    rows = rows_fn()
    freqs = b.randn(ch, 2)
    radii = freqs.square().sum(dim=1, keepdim=True).sqrt()
    freqs = freqs / (radii * radii.square().exp().pow(0.25)) * bandwidth
    phases = torch.rand(ch, generator=b.gen) - 0.5
    inp = b.module(
        "SynthesisInput",
        {"weight": b.randn(ch, ch)},
        {"transform": torch.eye(3), "freqs": freqs, "phases": phases},
        {"affine": b.affine(w_dim, 4, torch.tensor([1.0, 0.0, 0.0, 0.0]))},
        {"w_dim": w_dim, "channels": ch, "size": np.array([size, size]),
         "sampling_rate": np.float64(rate), "bandwidth": bandwidth},
    )  # fmt: skip
    modules = {"input": inp}
    for row in rows:
        padding = padding_rule(row)
        if row.padding_expected is not None and padding != row.padding_expected:
            raise AssertionError(f"{row.name}: rule gives {padding}, table {row.padding_expected}")
        torgb = row.k == 1
        modules[row.name] = b.module(
            "SynthesisLayer",
            {"weight": b.randn(row.c_out, row.c_in, row.k, row.k),
             "bias": b.randn(row.c_out, scale=0.1)},
            {"magnitude_ema": torch.rand((), generator=b.gen) * 1.5 + 0.5,
             "up_filter": _design(row.taps_up, row.fc_in, row.fh_in, row.s_tmp),
             "down_filter": _design(row.taps_dn, row.fc_out, row.fh_out, row.s_tmp)},
            {"affine": b.affine(w_dim, row.c_in, torch.ones(row.c_in))},
            {"w_dim": w_dim, "is_torgb": torgb, "is_critically_sampled": row.critical,
             "use_fp16": np.bool_(True), "in_channels": row.c_in, "out_channels": row.c_out,
             "in_size": np.array([row.size_in] * 2), "out_size": np.array([row.size_out] * 2),
             "in_sampling_rate": np.float64(row.s_in), "out_sampling_rate": np.float64(row.s_out),
             "tmp_sampling_rate": np.float64(row.s_tmp), "in_cutoff": np.float64(row.fc_in),
             "out_cutoff": np.float64(row.fc_out), "in_half_width": np.float64(row.fh_in),
             "out_half_width": np.float64(row.fh_out), "conv_kernel": row.k, "conv_clamp": 256,
             "magnitude_ema_beta": 0.999, "up_factor": row.up, "up_taps": row.taps_up,
             "up_radial": False, "down_factor": row.down, "down_taps": row.taps_dn,
             "down_radial": False, "padding": [np.int64(p) for p in padding]},
        )  # fmt: skip
    synthesis = b.module(
        "SynthesisNetwork",
        {},
        {},
        modules,
        {"w_dim": w_dim, "num_ws": len(rows) + 1, "img_resolution": rows[-1].size_out,
         "img_channels": 3, "num_layers": len(rows) - 1, "num_critical": 2, "margin_size": 10,
         "output_scale": 0.25, "num_fp16_res": 4, "layer_names": [r.name for r in rows]},
    )  # fmt: skip
    return synthesis, rows


def _generator(b: _Builder, config: str) -> tuple[Any, list[LayerRow]]:
    synthesis, rows = _synthesis(b, config)
    w_dim = CONFIGS[config][5]
    mapping = b.module(
        "MappingNetwork",
        {},
        {"w_avg": b.randn(w_dim)},
        {"fc0": b.affine(w_dim, w_dim, torch.zeros(w_dim)), "embed": torch.nn.Embedding(10, 4)},
        {"z_dim": 64, "w_dim": w_dim, "num_ws": len(rows) + 1},
    )
    gen = b.module(
        "SuperresGenerator",
        {},
        {},
        {"synthesis": synthesis, "mapping": mapping},
        {"z_dim": 64, "c_dim": 0, "w_dim": w_dim, "img_resolution": rows[-1].size_out},
    )
    return gen, rows


_FAKE_SOURCES = {
    "torch_utils.persistence": (
        "def _reconstruct_persistent_obj(meta):\n"
        "    raise AssertionError('the loader must never call the real persistence hook')\n"
    ),
    "pg_modules.discriminator": (
        "class ProjectedDiscriminator:\n    def forward_flex(self, x):\n        return x\n"
    ),
    "timm.models.vision_transformer": "class VisionTransformer:\n    pass\n",
    "dnnlib.util": "class EasyDict(dict):\n    pass\n",
    "feature_networks.vit": (
        "activations = {}\n\n\ndef get_activation(name):\n"
        "    def hook(model, inputs, output):\n        activations[name] = output\n\n"
        "    return hook\n"
    ),
}


def _fake_modules() -> dict[str, types.ModuleType]:
    """Stand-ins for NVIDIA's persistence module and the discriminator's libraries.

    Built from tiny source strings (our fixture code) so that dill pickles their functions and
    classes by reference, as it does for the real importable modules.
    """
    mods: dict[str, types.ModuleType] = {}
    for name, src in _FAKE_SOURCES.items():
        mod = types.ModuleType(name)
        exec(compile(src, f"<fixture {name}>", "exec"), mod.__dict__)
        mods[name] = mod
    for pkg in ("torch_utils", "pg_modules", "timm", "timm.models", "dnnlib", "feature_networks"):
        mods[pkg] = types.ModuleType(pkg)
    for name, mod in mods.items():
        if "." in name:
            parent, child = name.rsplit(".", 1)
            setattr(mods[parent], child, mod)
    return mods


@contextlib.contextmanager
def _registered(mods: dict[str, types.ModuleType]) -> Iterator[None]:
    clash = [name for name in mods if name in sys.modules]
    if clash:
        raise RuntimeError(f"refusing to shadow real modules {clash}")
    sys.modules.update(mods)
    try:
        yield
    finally:
        for name in mods:
            sys.modules.pop(name, None)


def _discriminator(mods: dict[str, types.ModuleType]) -> Any:
    """A D-like object: unknown classes, a bound method, a closure dill pickles by value."""
    d = mods["pg_modules.discriminator"].ProjectedDiscriminator()
    vit = mods["timm.models.vision_transformer"].VisionTransformer()
    vit.hook = mods["feature_networks.vit"].get_activation("1")
    d.pretrained = vit
    d.bound = d.forward_flex
    d.weights = torch.randn(3, 3)
    return d


def write_generator_pickle(
    path: str | Path,
    *,
    config: str = "tiny",
    seed: int = 0,
    cuda_tagged: bool = False,
    numpy1_names: bool = True,
    separate_g: bool | None = None,
) -> dict[str, Any]:
    """Write a fixture pickle; return what tests need to check (names, shapes, sizes)."""
    if config not in CONFIGS:
        raise ValueError(f"config {config!r} unknown; use one of {sorted(CONFIGS)}")
    b = _Builder(seed, cuda_tagged)
    g_ema, rows = _generator(b, config)
    separate_g = (config == "tiny") if separate_g is None else separate_g
    g = _generator(_Builder(seed + 1, cuda_tagged), config)[0] if separate_g else g_ema
    mods = _fake_modules()
    buf = io.BytesIO()
    with _registered(mods):
        snapshot = {
            "G": g,
            "D": _discriminator(mods),
            "G_ema": g_ema,
            "augment_pipe": None,
            "training_set_kwargs": mods["dnnlib.util"].EasyDict(resolution=rows[-1].size_out),
            "progress": {"cur_nimg": torch.LongTensor([1234]), "cur_tick": torch.LongTensor([5]),
                         "batch_idx": torch.LongTensor([6]), "best_fid": 9999.0},
        }  # fmt: skip
        dill.dump(snapshot, buf, protocol=3)
    data = buf.getvalue()
    if numpy1_names:
        data = data.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")
    Path(path).write_bytes(data)
    w_dim = CONFIGS[config][5]
    return {
        "path": Path(path),
        "config": config,
        "layer_names": [r.name for r in rows],
        "num_ws": len(rows) + 1,
        "w_dim": w_dim,
        "img_resolution": rows[-1].size_out,
        "shapes": {r.name: (r.c_out, r.size_out, r.size_out) for r in rows},
        "rows": rows,
        "size_bytes": len(data),
    }


def make_generator_records(config: str = "tiny", seed: int = 0) -> GeneratorRecords:
    """Same network as :func:`write_generator_pickle` writes, built without a file."""
    b = _Builder(seed, cuda_tagged=False)
    gen, _ = _generator(b, config)
    return records_from_pickle_object(_as_records(gen))


def _as_records(obj: Any) -> Any:
    """Turn the writer's objects into what the restricted unpickler would produce."""
    if isinstance(obj, _Persistent):
        meta = obj.meta
        return PersistentRecord(
            meta["class_name"], {k: _as_records(v) for k, v in meta["state"].items()}, "", 6
        )
    if isinstance(obj, collections.OrderedDict):
        return collections.OrderedDict((k, _as_records(v)) for k, v in obj.items())
    if isinstance(obj, torch.nn.Parameter):
        return obj.detach()
    return obj


def tiny_synthesis_network(seed: int = 0):  # type: ignore[no-untyped-def]
    """A ready tiny :class:`SynthesisNetwork` (w_dim 16, 6 ws, 16×16 image) for quick tests."""
    from lsi_rig.models.generator import SynthesisNetwork

    return SynthesisNetwork(make_generator_records("tiny", seed))
