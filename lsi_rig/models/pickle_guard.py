"""Checked constructors for the globals a network pickle may call, and a memory budget.

The allow-list (:mod:`lsi_rig.models.pickle_policy`) decides *which* globals a pickle may name;
this module decides *what they may be asked to build*. Plain value types are harmless to name
but not to call: ``bytes(2**44)`` zero-fills 16 TiB, ``list(range(2**36))`` builds 2³⁶ ints,
``numpy.ndarray((10**8, 10**8))`` asks for 10¹⁶ bytes, and one memoised megabyte passed to
``list`` a million times costs a terabyte. So every callable global resolves to a checked
stand-in that

* accepts only argument *types* whose cost is known up front (materialised containers, byte
  strings, scalars; never an integer size, a lazy ``range`` or a generator), and
* charges what it is about to allocate to a per-load :class:`Budget` derived from the file size
  (a network file's objects are made of its own bytes: tensors ≈ the file, the rest small).

Going over budget, or an argument of the wrong kind, raises UnsafePickleError before the
allocation happens.
"""

from __future__ import annotations

import contextvars
import math
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from lsi_rig.core.errors import UnsafePickleError

#: Budget = BUDGET_FACTOR × file size + BUDGET_SLACK_BYTES (storages + their tensor views +
#: small arrays and containers of a real network pickle stay near 2× the file).
BUDGET_FACTOR = 3
BUDGET_SLACK_BYTES = 64 << 20
MAX_NDIM = 32
_POINTER = 8


class Budget:
    """Bytes a load may still allocate through checked constructors."""

    def __init__(self, limit_bytes: int, where: str) -> None:
        self.limit_bytes = int(limit_bytes)
        self.spent_bytes = 0
        self.where = where

    def charge(self, n_bytes: int, what: str) -> None:
        if n_bytes < 0:
            raise UnsafePickleError(f"{what} with a negative size refused")
        if self.spent_bytes + n_bytes > self.limit_bytes:
            raise UnsafePickleError(
                f"{what} would allocate {n_bytes} bytes, beyond the {self.limit_bytes}-byte "
                f"budget of this file ({self.spent_bytes} used); refused before allocating"
            )
        self.spent_bytes += n_bytes


_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("_BUDGET", default=None)


def budget_for(size_bytes: int, where: str) -> Budget:
    return Budget(BUDGET_FACTOR * size_bytes + BUDGET_SLACK_BYTES, where)


@contextmanager
def active(budget: Budget) -> Iterator[Budget]:
    """Charge checked constructors called in this context to ``budget``."""
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def charge(n_bytes: int, what: str) -> None:
    """Charge the active budget (outside a load, e.g. a direct call in a test: unlimited)."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.charge(n_bytes, what)


def _refuse(what: str, args: tuple[Any, ...]) -> UnsafePickleError:
    kinds = ", ".join(type(a).__name__ for a in args)
    return UnsafePickleError(
        f"{what}({kinds}) refused: only arguments whose size is known up front are accepted; "
        "nothing was executed"
    )


_CONTAINERS = (list, tuple, set, frozenset, dict)
_SCALARS = (str, int, float, bool, complex, type(None))


def _container_cost(name: str, args: tuple[Any, ...]) -> int:
    if not args:
        return 0
    if len(args) == 1 and isinstance(args[0], _CONTAINERS):
        return 64 + 2 * _POINTER * len(args[0])
    raise _refuse(f"builtins.{name}", args)


def _bytes_cost(name: str, args: tuple[Any, ...]) -> int:
    if not args:
        return 0
    first = args[0]
    if len(args) == 1 and isinstance(first, (bytes, bytearray)):
        return len(first)
    if (
        len(args) == 1
        and isinstance(first, (list, tuple))
        and all(isinstance(v, int) for v in first)
    ):
        return len(first)
    if 2 <= len(args) <= 3 and isinstance(first, str) and all(isinstance(a, str) for a in args):
        return 4 * len(first)
    raise _refuse(f"builtins.{name}", args)


def _str_cost(args: tuple[Any, ...]) -> int:
    if not args:
        return 0
    first = args[0]
    if len(args) == 1 and isinstance(first, _SCALARS):
        return 64 + (4 * len(first) if isinstance(first, str) else 0)
    if 2 <= len(args) <= 3 and isinstance(first, (bytes, bytearray)):
        return 4 * len(first)
    raise _refuse("builtins.str", args)


def _scalar_cost(name: str, limit: int) -> Callable[[tuple[Any, ...]], int]:
    def cost(args: tuple[Any, ...]) -> int:
        if len(args) <= limit and all(isinstance(a, (*_SCALARS, bytes)) for a in args):
            return sum(len(a) for a in args if isinstance(a, (str, bytes)))
        raise _refuse(f"builtins.{name}", args)

    return cost


def _none_cost(args: tuple[Any, ...]) -> int:
    if args:
        raise _refuse("builtins.NoneType", args)
    return 0


def _checked_type(name: str, real: type, cost: Callable[[tuple[Any, ...]], int]) -> type:
    """A class whose construction checks and charges, then returns a ``real`` instance.

    A class (not a function) so that both REDUCE (``cls(*args)``) and NEWOBJ
    (``cls.__new__(cls, *args)``) reach the check.
    """

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise _refuse(f"builtins.{name} with keywords", tuple(kwargs.values()))
        charge(cost(args), f"builtins.{name}")
        return real(*args)

    return type(f"checked_{name}", (), {"__new__": __new__, "__module__": __name__})


CHECKED_BUILTINS: dict[str, type] = {
    name: _checked_type(name, real, cost)
    for name, real, cost in (
        ("set", set, lambda a: _container_cost("set", a)),
        ("frozenset", frozenset, lambda a: _container_cost("frozenset", a)),
        ("list", list, lambda a: _container_cost("list", a)),
        ("tuple", tuple, lambda a: _container_cost("tuple", a)),
        ("dict", dict, lambda a: _container_cost("dict", a)),
        ("bytes", bytes, lambda a: _bytes_cost("bytes", a)),
        ("bytearray", bytearray, lambda a: _bytes_cost("bytearray", a)),
        ("str", str, _str_cost),
        ("int", int, _scalar_cost("int", 2)),
        ("float", float, _scalar_cost("float", 1)),
        ("complex", complex, _scalar_cost("complex", 2)),
        ("bool", bool, _scalar_cost("bool", 1)),
        ("slice", slice, _scalar_cost("slice", 3)),
        ("range", range, _scalar_cost("range", 3)),
        ("NoneType", type(None), _none_cost),
    )
}
CheckedOrderedDict = _checked_type(
    "OrderedDict", OrderedDict, lambda a: _container_cost("OrderedDict", a)
)

# -- numpy ---------------------------------------------------------------------------------------

_NUMERIC_KINDS = frozenset("biufc")


def checked_dtype(value: Any, what: str) -> np.dtype:
    """A numeric numpy dtype (bool, ints, floats, complex; ≤ 16 bytes, no fields)."""
    try:
        dtype = np.dtype(value)
    except (TypeError, ValueError) as exc:
        raise UnsafePickleError(f"{what}: dtype {value!r:.60} refused ({exc})") from exc
    if (
        dtype.kind not in _NUMERIC_KINDS
        or dtype.hasobject
        or dtype.names is not None
        or dtype.subdtype is not None
        or dtype.itemsize > 16
    ):
        raise UnsafePickleError(f"{what}: dtype {dtype} refused (numeric dtypes only)")
    return dtype


def checked_shape(value: Any, what: str) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    if (
        not isinstance(value, tuple)
        or len(value) > MAX_NDIM
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
    ):
        raise UnsafePickleError(f"{what}: shape {value!r:.80} refused")
    return tuple(value)


def _nbytes(shape: tuple[int, ...], dtype: np.dtype) -> int:
    return math.prod(shape) * dtype.itemsize


class CheckedArray(np.ndarray):
    """An ndarray whose ``__setstate__`` (the pickle BUILD step) checks and charges first."""

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise UnsafePickleError("numpy array state refused (not a 4- or 5-tuple)")
        shape, dtype, _fortran, raw = state[-4:]
        shape_t = checked_shape(shape, "numpy array state")
        dtype_c = checked_dtype(dtype, "numpy array state")
        nbytes = _nbytes(shape_t, dtype_c)
        if not isinstance(raw, (bytes, bytearray)) or len(raw) != nbytes:
            size = len(raw) if isinstance(raw, (bytes, bytearray)) else type(raw).__name__
            raise UnsafePickleError(
                f"numpy array state refused: {shape_t} {dtype_c} needs {nbytes} bytes, got {size}"
            )
        charge(nbytes, "numpy array")
        super().__setstate__(state)


def new_array(shape: Any, dtype: Any = float, what: str = "numpy.ndarray") -> CheckedArray:
    """``ndarray(shape, dtype)`` after checking both and charging its size."""
    shape_t = checked_shape(shape, what)
    dtype_c = checked_dtype(dtype, what)
    charge(_nbytes(shape_t, dtype_c), what)
    return np.ndarray.__new__(CheckedArray, shape_t, dtype_c)


class NdarrayType:
    """What the global ``numpy.ndarray`` resolves to: construction is checked."""

    def __new__(cls, shape: Any = (0,), dtype: Any = float, *rest: Any) -> Any:  # type: ignore[misc]
        if rest:
            raise _refuse("numpy.ndarray with buffer arguments", rest)
        return new_array(shape, dtype)
