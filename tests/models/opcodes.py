"""Pickle opcodes spelled out, for crafting hostile streams byte by byte.

No real object is pickled here: each helper emits the bytes of one opcode (pickletools names),
so a test shows exactly what the stream asks the unpickler to do.
"""

from __future__ import annotations

import pickle
import struct

PROTO3 = b"\x80\x03"
MARK = b"("
STOP = b"."
POP = b"0"
NONE = b"N"
TUPLE = b"t"
TUPLE1 = b"\x85"
TUPLE2 = b"\x86"
TUPLE3 = b"\x87"
EMPTY_TUPLE = b")"
EMPTY_LIST = b"]"
EMPTY_DICT = b"}"
APPEND = b"a"
APPENDS = b"e"
SETITEM = b"s"
REDUCE = b"R"
BUILD = b"b"
NEWOBJ = b"\x81"
NEWTRUE = b"\x88"
NEWFALSE = b"\x89"


def glob(module: str, name: str) -> bytes:
    """GLOBAL ``module.name``."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def integer(n: int) -> bytes:
    """BININT1 / BININT for small ints, LONG1 for the rest."""
    if 0 <= n < 256:
        return b"K" + bytes([n])
    if -(2**31) <= n < 2**31:
        return b"J" + struct.pack("<i", n)
    encoded = pickle.encode_long(n)
    return b"\x8a" + bytes([len(encoded)]) + encoded


def text(s: str) -> bytes:
    """BINUNICODE."""
    data = s.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def binbytes(data: bytes) -> bytes:
    """BINBYTES (4-byte length)."""
    return b"B" + struct.pack("<I", len(data)) + data


def put(index: int) -> bytes:
    """BINPUT / LONG_BINPUT."""
    return b"q" + bytes([index]) if index < 256 else b"r" + struct.pack("<I", index)


def get(index: int) -> bytes:
    """BINGET / LONG_BINGET."""
    return b"h" + bytes([index]) if index < 256 else b"j" + struct.pack("<I", index)


def tup(*items: bytes) -> bytes:
    """MARK items TUPLE."""
    return MARK + b"".join(items) + TUPLE


def call(module: str, name: str, *args: bytes) -> bytes:
    """``module.name(*args)`` via REDUCE."""
    return glob(module, name) + tup(*args) + REDUCE


def stream(*parts: bytes) -> bytes:
    """A protocol-3 pickle of ``parts`` followed by STOP."""
    return PROTO3 + b"".join(parts) + STOP


PROTO2 = b"\x80\x02"
BINPERSID = b"Q"
_TORCH_MAGIC = 0x1950A86A20F9469CFC6C


def legacy_storage_payload(values: list[float], *, declared: int | None = None) -> bytes:
    """A legacy ``torch.save`` of one float32 storage, opcode by opcode.

    Five pickles (magic number, protocol 1001, system info, the persistent id naming the
    storage and its element count, the list of keys), then an int64 count and the raw data.
    ``declared`` overrides the element count the header announces (a lying header).
    """
    numel = len(values) if declared is None else declared
    sys_info = (
        EMPTY_DICT + MARK
        + text("protocol_version") + integer(1001) + text("little_endian") + NEWTRUE
        + text("type_sizes") + EMPTY_DICT + MARK
        + text("short") + integer(2) + text("int") + integer(4) + text("long") + integer(4)
        + b"u" + b"u"
    )  # fmt: skip
    pid = tup(text("storage"), glob("torch", "FloatStorage"), text("0"), text("cpu"),
              integer(numel), NONE)  # fmt: skip
    parts = [
        PROTO2 + integer(_TORCH_MAGIC) + STOP,
        PROTO2 + integer(1001) + STOP,
        PROTO2 + sys_info + STOP,
        PROTO2 + pid + BINPERSID + STOP,
        PROTO2 + EMPTY_LIST + text("0") + APPEND + STOP,
        struct.pack("<q", len(values)) + struct.pack(f"<{len(values)}f", *values),
    ]
    return b"".join(parts)
