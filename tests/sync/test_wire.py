"""Codec of the LSISYNC protocol: exact bytes, error codes, framing, limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lsi_rig.sync import wire
from lsi_rig.sync.wire import (
    Command,
    ErrorCode,
    Identity,
    LineFramer,
    Reply,
    Request,
    RequestError,
    SyncProtocolError,
)


def test_request_and_reply_bytes() -> None:
    assert Request(Command.ARM, (10, 1000, 100), 7).encode() == b"@7 ARM 10 1000 100\n"
    assert Request(Command.IDN).encode() == b"*IDN?\n"
    assert Reply(True, "123", 65535).encode() == b"@65535 OK 123\n"
    assert Reply(True).encode() == b"OK\n"
    assert Reply.error(ErrorCode.NOT_ARMED, "ARM first", 3).encode() == b"@3 ERR 6 ARM first\n"


@given(
    command=st.sampled_from(list(Command)),
    tag=st.none() | st.integers(0, wire.TAG_MODULUS - 1),
    values=st.tuples(*(st.integers(0, wire.UINT32_MODULUS - 1),) * 3),
)
def test_request_round_trip(command: Command, tag: int | None, values: tuple[int, ...]) -> None:
    args = values[: wire.ARGUMENT_COUNT[command]]
    line = Request(command, args, tag).encode()
    assert len(line) <= wire.MAX_REQUEST_BYTES
    assert wire.parse_request(line.rstrip(b"\n")) == Request(command, args, tag)


def test_parse_request_is_tolerant_of_case_and_spaces() -> None:
    req = wire.parse_request(b"  @12\tarm  5 200   50 ")
    assert req == Request(Command.ARM, (5, 200, 50), 12)
    assert wire.parse_request(b"edges:reset").command is Command.EDGES_RESET


@pytest.mark.parametrize(
    ("line", "code", "tag"),
    [
        (b"@4 JUMP", ErrorCode.UNKNOWN_COMMAND, 4),
        (b"", ErrorCode.UNKNOWN_COMMAND, None),
        (b"@5", ErrorCode.UNKNOWN_COMMAND, 5),
        (b"\xffIDN?", ErrorCode.UNKNOWN_COMMAND, None),
        (b"@1 ARM 1 2", ErrorCode.BAD_ARGUMENT, 1),
        (b"@1 FIRE now", ErrorCode.BAD_ARGUMENT, 1),
        (b"@2 ARM 1 -200 10", ErrorCode.BAD_ARGUMENT, 2),
        (b"@2 ARM 1 2.5 10", ErrorCode.BAD_ARGUMENT, 2),
        (b"@3 ARM 4294967296 1000 10", ErrorCode.OUT_OF_RANGE, 3),
        (b"@65536 FIRE", ErrorCode.BAD_ARGUMENT, None),
        (b"@x FIRE", ErrorCode.BAD_ARGUMENT, None),
    ],
)
def test_parse_request_errors(line: bytes, code: ErrorCode, tag: int | None) -> None:
    with pytest.raises(RequestError) as info:
        wire.parse_request(line)
    assert info.value.code is code
    assert info.value.tag == tag


def test_parse_reply() -> None:
    assert wire.parse_reply(b"@9 OK armed=1 firing=0") == Reply(True, "armed=1 firing=0", 9)
    assert wire.parse_reply(b"@9 OK") == Reply(True, "", 9)
    assert wire.parse_reply(b"OK 5") == Reply(True, "5", None)
    assert wire.parse_reply(b"@2 ERR 5 busy now") == Reply(False, "busy now", 2, 5)
    assert wire.parse_reply(b"# LSISYNC 1.0.0 ready") is None


@pytest.mark.parametrize(
    "line",
    [b"\x00\xfe garbage", b"@9 YES", b"@9 ERR busy", b"@70000 OK", b"@a OK", b"hello", b"@9"],
)
def test_parse_reply_rejects_garbage(line: bytes) -> None:
    with pytest.raises(SyncProtocolError, match="garbage reply"):
        wire.parse_reply(line)


def test_framer_partial_lines_crlf_and_empty_lines() -> None:
    framer = LineFramer(16)
    assert framer.feed(b"@1 O") == []
    assert framer.pending == b"@1 O"
    assert framer.feed(b"K 5\r\n\r\n@2 OK\n@3") == [b"@1 OK 5", b"@2 OK"]
    assert framer.feed(b" OK\r") == [b"@3 OK"]
    assert framer.pending == b""


def test_framer_reports_overlong_line_once_and_resynchronises() -> None:
    framer = LineFramer(8)
    assert framer.feed(b"1234567") == []
    assert framer.feed(b"89abcdef") == [None]  # 8th byte: no room for the terminator
    assert framer.feed(b"ghij\nOK\n") == [b"OK"]
    assert LineFramer(8).feed(b"1234567\n") == [b"1234567"]


def test_identity_and_version_rule() -> None:
    ident = wire.parse_identity("LSISYNC,1.2.3,1.4")
    assert ident == Identity("1.2.3", (1, 4))
    assert ident.encode_payload() == "LSISYNC,1.2.3,1.4"
    assert wire.is_compatible((1, 0)) and wire.is_compatible((1, 7))
    assert not wire.is_compatible((2, 0)) and not wire.is_compatible((0, 9))
    for bad in ("ACME,1.0,1.0", "LSISYNC,1.0", "LSISYNC,1.0,one"):
        with pytest.raises(SyncProtocolError):
            wire.parse_identity(bad)


def test_status_format_and_parse() -> None:
    text = wire.format_status(armed=True, firing=False, remaining=7, edges=4294967295)
    assert text == "armed=1 firing=0 remaining=7 edges=4294967295"
    fields = wire.parse_status(text + " temp=31")  # a minor release may add keys
    assert fields == {"armed": 1, "firing": 0, "remaining": 7, "edges": 4294967295, "temp": 31}
    with pytest.raises(SyncProtocolError, match="missing edges"):
        wire.parse_status("armed=1 firing=0 remaining=7")
    with pytest.raises(SyncProtocolError, match="key=uint"):
        wire.parse_status("armed=yes firing=0 remaining=7 edges=1")
    assert wire.parse_count("42") == 42
    with pytest.raises(SyncProtocolError):
        wire.parse_count("-1")


@pytest.mark.parametrize(
    ("train", "ok"),
    [
        ((1, wire.MIN_PERIOD_US, wire.MIN_WIDTH_US), True),
        ((wire.MAX_PULSES, wire.MAX_PERIOD_US, wire.MAX_PERIOD_US - wire.MIN_GAP_US), True),
        ((0, 1000, 100), False),
        ((wire.MAX_PULSES + 1, 1000, 100), False),
        ((1, wire.MIN_PERIOD_US - 1, 10), False),
        ((1, wire.MAX_PERIOD_US + 1, 10), False),
        ((1, 1000, wire.MIN_WIDTH_US - 1), False),
        ((1, 1000, 1000 - wire.MIN_GAP_US + 1), False),
    ],
)
def test_pulse_train_limits(train: tuple[int, int, int], ok: bool) -> None:
    if ok:
        wire.check_pulse_train(*train)
    else:
        with pytest.raises(RequestError) as info:
            wire.check_pulse_train(*train)
        assert info.value.code is ErrorCode.OUT_OF_RANGE


def test_longest_status_reply_fits_the_reply_limit() -> None:
    top = wire.UINT32_MODULUS - 1
    payload = wire.format_status(armed=True, firing=True, remaining=top, edges=top)
    assert len(Reply(True, payload, wire.TAG_MODULUS - 1).encode()) <= wire.MAX_REPLY_BYTES
