"""Storing free-form metadata values: JSON text datasets and numeric arrays.

Descriptions and snapshots go into *datasets*, never one big attribute: HDF5 attributes are
limited to 64 KiB in the compact layout, and PyMoDAQ hit exactly that limit with settings blobs.
A value that is a numeric array is stored as a dataset of that array (attr ``encoding="array"``);
anything else is stored as UTF-8 JSON text (attr ``encoding="json"``).
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import PurePath
from typing import Any

import h5py
import numpy as np

from lsi_rig.core.errors import SessionError

TEXT_DTYPE = h5py.string_dtype("utf-8")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, PurePath):
        return str(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def to_json(value: Any, what: str) -> str:
    """JSON text of ``value``; ``what`` names the item in the error message."""
    try:
        return json.dumps(value, sort_keys=True, default=_json_default, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise SessionError(
            f"session metadata {what}: cannot be stored as JSON ({exc}); "
            "pass plain numbers, strings, lists, dicts or numpy arrays"
        ) from exc


def check_name(name: str, what: str) -> str:
    """HDF5 object names: non-empty, no '/' (it would create nested groups), not '.'."""
    if not isinstance(name, str) or not name or "/" in name or name == ".":
        raise SessionError(
            f"session metadata {what}: key {name!r} cannot be an HDF5 name; "
            "use a non-empty key without '/'"
        )
    return name


def write_text(group: h5py.Group, name: str, text: str) -> h5py.Dataset:
    """A scalar UTF-8 text dataset."""
    return group.create_dataset(name, data=text, dtype=TEXT_DTYPE)


def read_text(ds: h5py.Dataset) -> str:
    value = ds[()]
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _numeric_array(value: Any) -> np.ndarray | None:
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value
    return None


def write_value(group: h5py.Group, name: str, value: Any, what: str) -> None:
    """Store ``value`` as an array dataset when it is a numeric ndarray, else as JSON text."""
    check_name(name, what)
    array = _numeric_array(value)
    if array is not None:
        ds = group.create_dataset(name, data=array)
        ds.attrs["encoding"] = "array"
    else:
        ds = write_text(group, name, to_json(value, f"{what} {name!r}"))
        ds.attrs["encoding"] = "json"


def read_value(ds: h5py.Dataset) -> Any:
    """Inverse of :func:`write_value`."""
    encoding = ds.attrs.get("encoding", "json")
    if isinstance(encoding, bytes):
        encoding = encoding.decode()
    if encoding == "array":
        return ds[()]
    return json.loads(read_text(ds))


def write_mapping(group: h5py.Group, mapping: dict[str, Any], what: str) -> None:
    for key, value in mapping.items():
        write_value(group, key, value, what)


def read_mapping(group: h5py.Group) -> dict[str, Any]:
    return {key: read_value(group[key]) for key in group}
