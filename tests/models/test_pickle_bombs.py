"""Pickles that would allocate without bound are refused before allocating, naming the file.

Every stream is written opcode by opcode (tests/models/opcodes.py) and loaded in one child
process limited to 2 GiB of address space: a bomb that got through fails as MemoryError (or
kills the child), which fails the test; a refusal is an UnsafePickleError/ModelError with our
message.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.models.memlimit import run_cases
from tests.models.opcodes import (
    APPEND,
    APPENDS,
    BUILD,
    EMPTY_DICT,
    EMPTY_LIST,
    MARK,
    NEWFALSE,
    NEWOBJ,
    NEWTRUE,
    NONE,
    POP,
    REDUCE,
    SETITEM,
    STOP,
    TUPLE1,
    binbytes,
    call,
    get,
    glob,
    integer,
    legacy_storage_payload,
    put,
    stream,
    text,
    tup,
)

HUGE = (integer(10**8), integer(10**8))
MIB = 1 << 20


def _dtype(name: str) -> bytes:
    return call("numpy", "dtype", text(name), NEWFALSE, NEWTRUE)


def _reconstruct(*shape: bytes) -> bytes:
    return call(
        "numpy.core.multiarray",
        "_reconstruct",
        glob("numpy", "ndarray"),
        tup(*shape),
        binbytes(b"b"),
    )


def _storage(values: list[float], declared: int | None = None) -> bytes:
    payload = legacy_storage_payload(values, declared=declared)
    return call("torch.storage", "_load_from_bytes", binbytes(payload))


def _tensor(size: tuple[int, ...], stride: tuple[int, ...], offset: int = 0) -> bytes:
    return call(
        "torch._utils",
        "_rebuild_tensor_v2",
        _storage([1.0, 2.0, 3.0, 4.0]),
        integer(offset),
        tup(*map(integer, size)),
        tup(*map(integer, stride)),
        NEWFALSE,
        call("collections", "OrderedDict"),
    )


def _repeat_call(module: str, name: str, argument: bytes, times: int) -> bytes:
    """``f = module.name; x = argument; f(x)`` ``times`` times, results dropped."""
    body = glob(module, name) + put(0) + POP + argument + put(1) + POP
    body += (get(0) + get(1) + TUPLE1 + REDUCE + POP) * times
    return stream(body, NONE)


def _int_list(n: int) -> bytes:
    return EMPTY_LIST + MARK + b"".join(integer(i % 200) for i in range(n)) + APPENDS


def _chain(module: str, name: str, argument: bytes, depth: int) -> bytes:
    """``f(f(f(...f(argument))))``: each call copies the previous result."""
    return stream(glob(module, name) * depth + argument + (TUPLE1 + REDUCE) * depth)


def _memo_nested(depth: int) -> bytes:
    """A list nested ``depth`` deep with a constant stack: each level is reached by GET."""
    levels = [get(i) + EMPTY_LIST + put(i + 1) + APPEND + POP for i in range(depth)]
    return EMPTY_LIST + put(0) + POP + b"".join(levels) + get(0)


def _persistent(state: bytes) -> bytes:
    meta = (
        EMPTY_DICT
        + text("type")
        + text("class")
        + SETITEM
        + text("version")
        + integer(6)
        + SETITEM
        + text("module_src")
        + text("")
        + SETITEM
        + text("class_name")
        + text("SynthesisNetwork")
        + SETITEM
        + text("state")
        + state
        + SETITEM
    )
    return call("torch_utils.persistence", "_reconstruct_persistent_obj", meta)


CASES: dict[str, tuple[bytes, str, list[str]]] = {
    # numpy through the reconstructor, the ndarray global and the BUILD step
    "ndarray_reduce": (
        stream(call("numpy", "ndarray", tup(*HUGE))),
        "UnsafePickleError",
        ["numpy.ndarray would allocate 80000000000000000 bytes", "budget"],
    ),
    "ndarray_newobj": (
        stream(glob("numpy", "ndarray") + tup(tup(*HUGE)) + NEWOBJ),
        "UnsafePickleError",
        ["would allocate 80000000000000000 bytes"],
    ),
    "reconstruct_shape": (
        stream(_reconstruct(*HUGE)),
        "UnsafePickleError",
        ["numpy _reconstruct would allocate 10000000000000000 bytes"],
    ),
    "reconstruct_state_lie": (
        stream(
            _reconstruct(integer(0))
            + tup(integer(1), tup(*HUGE), _dtype("f8"), NEWFALSE, binbytes(b""))
            + BUILD
        ),
        "UnsafePickleError",
        ["needs 80000000000000000 bytes, got 0"],
    ),
    "object_dtype": (stream(_dtype("O")), "UnsafePickleError", ["numeric dtypes only"]),
    "void_dtype": (stream(_dtype("V1099511627776")), "UnsafePickleError", ["refused"]),
    "unicode_dtype": (stream(_dtype("U1000000000")), "UnsafePickleError", ["refused"]),
    "scalar_void": (
        stream(call("numpy.core.multiarray", "scalar", _dtype("V8"), binbytes(b"\0" * 8))),
        "UnsafePickleError",
        ["refused"],
    ),
    # builtins asked for sizes, lazy ranges or expansions
    "bytes_int": (
        stream(call("builtins", "bytes", integer(2**44))),
        "UnsafePickleError",
        ["builtins.bytes(int) refused"],
    ),
    "bytearray_int": (
        stream(call("builtins", "bytearray", integer(2**44))),
        "UnsafePickleError",
        ["builtins.bytearray(int) refused"],
    ),
    **{
        f"{name}_range": (
            stream(call("builtins", name, call("builtins", "range", integer(2**36)))),
            "UnsafePickleError",
            [f"builtins.{name}(range) refused"],
        )
        for name in ("list", "tuple", "set", "frozenset", "dict", "bytes", "bytearray")
    },
    "ordereddict_range": (
        stream(call("collections", "OrderedDict", call("builtins", "range", integer(2**36)))),
        "UnsafePickleError",
        ["builtins.OrderedDict(range) refused"],
    ),
    "str_of_container": (
        stream(call("builtins", "str", EMPTY_LIST)),
        "UnsafePickleError",
        ["builtins.str(list) refused"],
    ),
    "int_of_huge_text": (
        stream(call("builtins", "int", text("9" * 100_000))),
        "ModelError",
        ["not a readable network pickle", "digits"],
    ),
    "str_mul_via_getattr": (  # getattr is a stub: the "method" is inert, nothing multiplies
        stream(
            call("builtins", "getattr", glob("builtins", "str"), text("__mul__"))
            + tup(text("x" * 10), integer(10**12))
            + REDUCE
        ),
        "ok",
        ["InertStub"],
    ),
    # amplification through the memo: one megabyte, copied thousands of times
    "amplify_bytes": (
        _repeat_call("builtins", "bytes", binbytes(b"x" * MIB), 5000),
        "UnsafePickleError",
        ["builtins.bytes would allocate 1048576 bytes", "budget"],
    ),
    "amplify_list": (
        _repeat_call("builtins", "list", _int_list(100_000), 100_000),
        "UnsafePickleError",
        ["builtins.list would allocate", "budget"],
    ),
    "reduce_chain": (
        _chain("builtins", "list", _int_list(100_000), 5000),
        "UnsafePickleError",
        ["builtins.list would allocate", "budget"],
    ),
    "amplify_storage": (
        stream(
            glob("torch.storage", "_load_from_bytes")
            + put(0)
            + POP
            + binbytes(legacy_storage_payload([0.0] * (MIB // 4)))
            + put(1)
            + POP
            + (get(0) + get(1) + TUPLE1 + REDUCE + POP) * 2000
            + NONE
        ),
        "UnsafePickleError",
        ["tensor storage would allocate 1048576 bytes", "budget"],
    ),
    # tensors and their storages
    "storage_lie": (
        stream(_storage([1.0] * 4, declared=2**40)),
        "UnsafePickleError",
        ["declares 4398046511104 bytes but its payload carries 16"],
    ),
    "tensor_stride0": (
        stream(_tensor((10**6, 10**6), (0, 0))),
        "UnsafePickleError",
        ["(1000000, 1000000)", "does not fit its storage of 4 elements"],
    ),
    "tensor_out_of_bounds": (
        stream(_tensor((8,), (1,))),
        "UnsafePickleError",
        ["does not fit its storage of 4 elements"],
    ),
    # opcodes alone: memo table, lengths, frames, nesting
    "memo_put_bomb": (
        stream(NONE + b"r" + struct.pack("<I", 0x7FFFFFF0)),
        "UnsafePickleError",
        ["LONG_BINPUT memo index 2147483632 after 3 opcodes"],
    ),
    "memo_get_bomb": (
        stream(b"j" + struct.pack("<I", 0x7FFFFFF0)),
        "UnsafePickleError",
        ["LONG_BINGET memo index"],
    ),
    "bytes8_lie": (
        b"\x80\x04\x8e" + struct.pack("<Q", 2**40) + b"abc" + STOP,
        "ModelError",
        ["expected 1099511627776 bytes in a bytes8"],
    ),
    "unicode8_lie": (
        b"\x80\x04\x8d" + struct.pack("<Q", 2**40) + b"abc" + STOP,
        "ModelError",
        ["1099511627776 bytes"],
    ),
    "frame_lie": (
        b"\x80\x04\x95" + struct.pack("<Q", 2**40) + NONE + STOP,
        "UnsafePickleError",
        ["FRAME of 1099511627776 bytes"],
    ),
    "deep_marks": (stream(MARK * 100_000), "UnsafePickleError", ["nesting deeper than 400"]),
}

GENERATOR_CASES: dict[str, tuple[bytes, str, list[str]]] = {
    # a structure too deep for repr, where the records code would print it in an error
    "deep_layer_names": (
        stream(
            EMPTY_DICT
            + text("G_ema")
            + _persistent(EMPTY_DICT + text("layer_names") + _memo_nested(200_000) + SETITEM)
            + SETITEM
        ),
        "ModelError",
        ["layer_names"],
    ),
    "deep_g_ema": (
        stream(EMPTY_DICT + text("G_ema") + _memo_nested(200_000) + SETITEM),
        "ModelError",
        ["G_ema in the pickle is a list"],
    ),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    folder = tmp_path_factory.mktemp("bombs")
    cases = {}
    for name, (data, _, _) in CASES.items():
        (folder / f"{name}.pkl").write_bytes(data)
        cases[name] = f"load_restricted({str(folder / f'{name}.pkl')!r})"
    for name, (data, _, _) in GENERATOR_CASES.items():
        (folder / f"{name}.pkl").write_bytes(data)
        cases[name] = f"load_generator_records({str(folder / f'{name}.pkl')!r})"
    cases["control_array"] = f"load_restricted({str(folder / 'control.pkl')!r}).tolist()"
    (folder / "control.pkl").write_bytes(
        stream(
            _reconstruct(integer(0))
            + tup(
                integer(1),
                tup(integer(2)),
                _dtype("f8"),
                NEWFALSE,
                binbytes(struct.pack("<2d", 1.5, -2.0)),
            )
            + BUILD
        )
    )
    setup = """
import warnings
warnings.simplefilter("ignore")
from lsi_rig.models.pickle_safe import load_restricted
from lsi_rig.models.generator import load_generator_records
"""
    out = run_cases(cases, setup=setup)
    out["_folder"] = {"type": "", "message": str(folder)}
    return out


@pytest.mark.parametrize("case", [*CASES, *GENERATOR_CASES])
def test_bomb_refused_before_allocating(results: dict[str, dict[str, str]], case: str) -> None:
    _, expected_type, needles = {**CASES, **GENERATOR_CASES}[case]
    result = results[case]
    assert result["type"] == expected_type, result
    for needle in needles:
        assert needle in result["message"], result["message"]
    if expected_type != "ok":
        path = Path(results["_folder"]["message"]) / f"{case}.pkl"
        assert str(path) in result["message"], result["message"]
        assert "\n" not in result["message"] and len(result["message"]) < 600, result["message"]


def test_control_array_loads_under_the_same_limit(results: dict[str, dict[str, str]]) -> None:
    assert results["control_array"] == {"type": "ok", "message": "[1.5, -2.0]"}
