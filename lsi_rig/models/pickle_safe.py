"""Restricted unpickler for NVIDIA "persistence" pickles (StyleGAN-XL ``ffhq256.pkl``).

Why: the official loader ``exec``s the Python source embedded in the pickle, so loading a
network file would run whatever code the file carries. Here nothing from the file is ever
executed:

* persistent objects (``torch_utils.persistence._reconstruct_persistent_obj``) become inert
  :class:`PersistentRecord` s holding the class name and the object state; the embedded
  ``module_src`` is only hashed (SHA-256) for provenance;
* tensor storages are decoded by ``torch.load(..., weights_only=True)`` on the CPU, whatever
  device tag they carry (files written on a GPU carry ``cuda:0``);
* a short list of constructors is resolved to our own checked re-implementations
  (tensor/parameter rebuild, ``OrderedDict``, numpy arrays/scalars/dtypes under their numpy-1
  and numpy-2 names, dill's ``_load_type`` and ``_create_array``, harmless builtin types);
* classes and functions of the parts we discard (the discriminator ``D``, ``augment_pipe``,
  ``progress``: timm, torchvision, pg_modules, dill function/code reconstructors, module
  dicts pickled by value, ...) resolve to :class:`InertStub` types. A stub never imports or
  calls the real object: constructing, calling, ``__setstate__`` or attribute access only
  return more stubs. Only globals of the packages those parts use are stubbed (the real
  file's ``D`` branch is unverified, and refusing them could make it unloadable for no safety
  gain); a global of any other package is refused;
* globals that exist to touch the operating system or run code (``os``, ``posix``, ``nt``,
  ``subprocess``, ``sys``, ``shutil``, ``socket``, ``importlib``, ``pickle``, ``marshal``,
  ``ctypes``, ``io``, ``runpy``, all builtins except plain value types and the three dill
  needs, ``torch.load``/``hub``/``jit``, ``numpy.load``/``fromfile``, ``dill``'s module
  importer, ...) are refused with :class:`~lsi_rig.core.errors.UnsafePickleError` naming module and
  global. Refusing them (instead of stubbing) makes a hostile file fail loudly.

Only our own re-implementations are ever *called*; the policy is :func:`classify_global`.
Before any of that, the opcode stream is scanned (:mod:`lsi_rig.models.pickle_scan`: memo
indices, frame and data lengths, nesting depth), and while it is unpickled every allowed
constructor checks its arguments and charges what it allocates to a budget of three times the
file size (:mod:`lsi_rig.models.pickle_guard`), so no file can make the loader allocate
without bound.
"""

from __future__ import annotations

import collections
import hashlib
import io
import logging
import math
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch

from lsi_rig.core.errors import ModelError, UnsafePickleError
from lsi_rig.models.pickle_guard import (
    CHECKED_BUILTINS,
    CheckedOrderedDict,
    NdarrayType,
    active,
    budget_for,
    charge,
    checked_dtype,
    new_array,
)
from lsi_rig.models.pickle_policy import classify_global
from lsi_rig.models.pickle_scan import legacy_storage_bytes, mapped, scan_stream

try:  # numpy >= 2
    from numpy._core.multiarray import scalar as _numpy_scalar
except ImportError:  # numpy 1.26
    from numpy.core.multiarray import scalar as _numpy_scalar  # type: ignore[no-redef]

log = logging.getLogger(__name__)

__all__ = [
    "InertStub",
    "PersistentRecord",
    "RestrictedUnpickler",
    "classify_global",
    "is_stub",
    "load_restricted",
    "loads_restricted",
]


@dataclass
class PersistentRecord:
    """What a persistent object of the pickle holds, without its code.

    ``state`` is the object's ``__dict__`` (``_parameters``, ``_buffers``, ``_modules``, plain
    attributes). ``module_src_sha256`` identifies the embedded training source for provenance.
    """

    class_name: str
    state: dict[str, Any]
    module_src_sha256: str
    version: int

    def modules(self) -> dict[str, Any]:
        return dict(self.state.get("_modules") or {})

    def tensors(self, kind: str) -> dict[str, Any]:
        """``kind`` is ``"_parameters"`` or ``"_buffers"``."""
        return dict(self.state.get(kind) or {})


class _StubMeta(type):
    """Stub *classes* are values too (NEWOBJ needs a class): calling or attribute access on
    them yields more stub classes, nothing else."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return _stub_type(cls._stub_global, "()")

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _stub_type(cls._stub_global, name)

    def __setitem__(cls, key: Any, value: Any) -> None:
        pass

    def __repr__(cls) -> str:
        return f"<InertStub {cls._stub_global}>"


class InertStub(metaclass=_StubMeta):
    """Placeholder for a class/function of a discarded branch; runs nothing, ever."""

    _stub_global: str = "<stub>"

    def __new__(cls, *args: Any, **kwargs: Any) -> InertStub:
        return object.__new__(cls)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _stub_type(self._stub_global, "()")

    def __setstate__(*args: Any) -> None:  # also reached unbound when BUILD hits a stub class
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(*args: Any) -> None:
        pass

    def extend(*args: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _stub_type(self._stub_global, name)

    def __repr__(self) -> str:
        return f"<InertStub {self._stub_global} instance>"


def is_stub(value: Any) -> bool:
    """True for stub classes and stub instances."""
    return isinstance(value, InertStub) or (
        isinstance(value, type) and issubclass(value, InertStub)
    )


@dataclass
class _Report:
    """Which globals the stream referenced, for provenance and debugging."""

    stubbed: set[str] = field(default_factory=set)
    resolved: set[str] = field(default_factory=set)


# Modules whose only business in a pickle is touching the OS or running code.
def _refusal(module: str, name: str, why: str) -> UnsafePickleError:
    return UnsafePickleError(
        f"refused pickle global {module}.{name} ({why}); nothing was executed. "
        "Only network pickles in NVIDIA's persistence format are accepted; check the file's origin."
    )


def _load_storage_bytes(payload: Any) -> Any:
    """``torch.storage._load_from_bytes``: a legacy torch.save of one storage, weights only."""
    if not isinstance(payload, (bytes, bytearray)):
        raise ModelError(f"tensor storage payload is {type(payload).__name__}, expected bytes")
    charge(legacy_storage_bytes(bytes(payload), "tensor storage"), "tensor storage")
    try:
        storage = torch.load(io.BytesIO(bytes(payload)), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise UnsafePickleError(
            f"a tensor storage in the pickle was refused by torch.load(weights_only=True): {exc}"
        ) from exc
    except (RuntimeError, EOFError, ValueError) as exc:
        raise ModelError(f"a tensor storage in the pickle could not be decoded: {exc}") from exc
    if not isinstance(storage, (torch.storage.TypedStorage, torch.UntypedStorage)):
        raise ModelError(f"tensor storage payload decoded to {type(storage).__name__}")
    return storage


def _check_ints(values: Any, what: str) -> tuple[int, ...]:
    if not isinstance(values, (tuple, list, torch.Size)) or not all(
        isinstance(v, int) for v in values
    ):
        raise ModelError(f"tensor {what} in the pickle is not a tuple of ints: {values!r}")
    return tuple(int(v) for v in values)


def _rebuild_tensor_v2(
    storage: Any,
    storage_offset: Any,
    size: Any,
    stride: Any,
    requires_grad: Any = False,
    backward_hooks: Any = None,
    metadata: Any = None,
) -> torch.Tensor:
    """Checked tensor rebuild; hooks and metadata from the file are dropped."""
    if not isinstance(storage, (torch.storage.TypedStorage, torch.UntypedStorage)):
        raise ModelError(f"tensor rebuild got a {type(storage).__name__} instead of a storage")
    if not isinstance(storage_offset, int):
        raise ModelError(f"tensor storage offset is not an int: {storage_offset!r}")
    size_t, stride_t = _check_ints(size, "size"), _check_ints(stride, "stride")
    if isinstance(storage, torch.storage.TypedStorage):
        n_elements, itemsize = storage._size(), storage._element_size()  # no deprecation warning
    else:
        n_elements, itemsize = storage.nbytes(), 1
    numel = math.prod(size_t)
    if len(size_t) != len(stride_t) or min((*size_t, *stride_t, storage_offset), default=0) < 0:
        raise ModelError(f"tensor view {size_t} / {stride_t} + {storage_offset} is malformed")
    if numel and (
        numel > n_elements - storage_offset
        or storage_offset + sum((n - 1) * st for n, st in zip(size_t, stride_t, strict=True))
        >= n_elements
    ):
        raise UnsafePickleError(
            f"tensor of size {size_t} (stride {stride_t}, offset {storage_offset}) does not "
            f"fit its storage of {n_elements} elements; refused before allocating"
        )
    charge(numel * itemsize, "tensor")
    try:
        return torch._utils._rebuild_tensor_v2(
            storage, storage_offset, size_t, stride_t, False, collections.OrderedDict()
        )
    except RuntimeError as exc:
        raise ModelError(f"tensor of size {size_t} does not fit its storage: {exc}") from exc


def _rebuild_parameter(data: Any, requires_grad: Any = False, *rest: Any) -> torch.Tensor:
    """Parameters become plain tensors: we only run inference."""
    if not isinstance(data, torch.Tensor):
        raise ModelError(f"parameter rebuild got {type(data).__name__} instead of a tensor")
    return data


def _np_reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    if subtype is not NdarrayType and subtype is not np.ndarray:
        raise UnsafePickleError(f"numpy array of subtype {subtype!r} refused; nothing executed")
    return new_array(shape, dtype, "numpy _reconstruct")


def _np_scalar(dtype: Any, data: Any = None) -> Any:
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise UnsafePickleError(f"numpy scalar of dtype {dtype!r} refused; nothing executed")
    dtype = checked_dtype(dtype, "numpy scalar")
    if data is not None and (not isinstance(data, bytes) or len(data) != dtype.itemsize):
        raise UnsafePickleError(f"numpy scalar data for {dtype} refused; nothing executed")
    return _numpy_scalar(dtype, data)


def _np_dtype(*args: Any) -> np.dtype:
    if (
        not args
        or len(args) > 3
        or not isinstance(args[0], str)
        or not all(isinstance(a, bool) for a in args[1:])
    ):
        raise UnsafePickleError(f"numpy dtype{args!r:.80} refused; nothing executed")
    dtype = checked_dtype(args[0], "numpy dtype")
    return np.dtype(dtype, bool(args[1]) if len(args) > 1 else False, True)  # a fresh copy


def _dill_load_type(name: Any) -> Any:
    """dill pickles builtin types by name (``'set'`` for ``_non_persistent_buffers_set``)."""
    if isinstance(name, str) and name in CHECKED_BUILTINS:
        return CHECKED_BUILTINS[name]
    return _stub_type("dill._dill", f"_load_type({name!r})")


def _dill_create_array(f: Any, args: Any, state: Any, npdict: Any = None) -> Any:
    """dill's array reconstructor, restricted to our own numpy constructor."""
    if f is not _np_reconstruct:
        if is_stub(f):
            return _stub_type("dill._dill", "_create_array()")
        raise UnsafePickleError(f"dill array constructor {f!r} refused; nothing executed")
    array = f(*args)
    array.__setstate__(state)
    return array


def _reconstruct_persistent_obj(meta: Any) -> PersistentRecord:
    """Inert replacement for NVIDIA's persistence hook: never execs ``module_src``."""
    if not isinstance(meta, dict) or meta.get("type") != "class":
        raise ModelError(f"persistent object metadata is malformed (type={type(meta).__name__})")
    src = meta.get("module_src", "")
    src_bytes = src.encode("utf-8") if isinstance(src, str) else b""
    state = meta.get("state")
    if not isinstance(state, dict):
        raise ModelError(f"persistent object {meta.get('class_name')!r} has no state dict")
    class_name = meta.get("class_name", "")
    if not isinstance(class_name, str) or len(class_name) > 200:
        raise ModelError("persistent object metadata has no plain class name")
    return PersistentRecord(
        class_name=class_name,
        state=state,
        module_src_sha256=hashlib.sha256(src_bytes).hexdigest(),
        version=int(meta.get("version", 0)),
    )


_ALLOWED: dict[tuple[str, str], Any] = {
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent_obj,
    ("torch.storage", "_load_from_bytes"): _load_storage_bytes,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("collections", "OrderedDict"): CheckedOrderedDict,
    ("numpy.core.multiarray", "_reconstruct"): _np_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _np_reconstruct,
    ("numpy.core.multiarray", "scalar"): _np_scalar,
    ("numpy._core.multiarray", "scalar"): _np_scalar,
    ("numpy", "ndarray"): NdarrayType,
    ("numpy", "dtype"): _np_dtype,
    ("dill._dill", "_load_type"): _dill_load_type,
    ("dill._dill", "_create_array"): _dill_create_array,
}
_STUB_TYPES: dict[str, type[InertStub]] = {}


def _stub_type(module: str, name: str) -> type[InertStub]:
    key = f"{module}.{name}" if name != "()" else f"{module}()"
    key = key if len(key) < 200 else key[:200] + "..."
    if key not in _STUB_TYPES:
        if len(_STUB_TYPES) > 100_000:
            raise UnsafePickleError("pickle references too many unknown objects; refused")
        stub: type[InertStub] = _StubMeta("InertStub", (InertStub,), {"_stub_global": key})  # type: ignore[assignment]
        _STUB_TYPES[key] = stub
    return _STUB_TYPES[key]


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose ``find_class`` follows the allow/stub/refuse policy above."""

    def __init__(self, file: IO[bytes]) -> None:
        super().__init__(file)
        self.report = _Report()

    def find_class(self, module: str, name: str) -> Any:
        module = {"__builtin__": "builtins", "copy_reg": "copyreg"}.get(module, module)
        verdict = classify_global(module, name)
        if verdict == "refused":
            raise _refusal(module, name, "not on the allow-list")
        if verdict == "stub":
            self.report.stubbed.add(f"{module}.{name}")
            return _stub_type(module, name)
        self.report.resolved.add(f"{module}.{name}")
        if module == "builtins":
            return CHECKED_BUILTINS[name]
        return _ALLOWED[(module, name)]

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f"pickle uses persistent id {pid!r}; refused, nothing executed")


def loads_restricted(data: bytes) -> Any:
    """Unpickle bytes through :class:`RestrictedUnpickler`."""
    return _load(io.BytesIO(data), "<bytes>", len(data))


def load_restricted(path: str | Path) -> Any:
    """Unpickle a file through :class:`RestrictedUnpickler`; errors name the file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with mapped(path) as view:
            return _load(view, str(path), size)
    except OSError as exc:
        raise ModelError(f"cannot read generator pickle {path}: {exc}") from exc


def _load(fh: Any, where: str, size: int) -> Any:
    """Scan, then unpickle ``fh`` (a memory map or BytesIO of ``size`` bytes) on a budget."""
    scan_stream(fh, size, where)
    fh.seek(0)
    unpickler = RestrictedUnpickler(fh)
    try:
        with active(budget_for(size, where)):
            obj = unpickler.load()
    except UnsafePickleError as exc:
        raise UnsafePickleError(f"{where}: {exc}") from exc
    except ModelError as exc:
        raise ModelError(f"{where}: {exc}") from exc
    except RecursionError as exc:
        raise UnsafePickleError(f"{where}: nesting too deep to unpickle; refused") from exc
    except MemoryError as exc:
        raise UnsafePickleError(
            f"{where}: ran out of memory while unpickling (a {size}-byte file may use about "
            "three times its size); refused"
        ) from exc
    except (pickle.UnpicklingError, EOFError, TypeError, ValueError, AttributeError) as exc:
        raise ModelError(f"{where} is not a readable network pickle: {exc}") from exc
    if unpickler.report.stubbed:
        log.info(
            "%s: %d globals of discarded parts replaced by inert stubs",
            where,
            len(unpickler.report.stubbed),
        )
    return obj
