"""Wire codec of the LSISYNC serial protocol (docs/sync-protocol.md), for host and device side.

One request line, one reply line. Every line is printable ASCII ended by LF (CR, CRLF tolerated).
The host prefixes each request with a tag ``@<n>`` that the device echoes, so a reply that
arrives after its timeout can never be mistaken for the answer to a later command. This module
imports no serial library: the pyserial backend, the pty emulator and the tests share it, and
``firmware/lsi_sync/lsi_sync.ino`` implements the same tables in C++.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from lsi_rig.core.errors import DeviceError

PROTOCOL_VERSION: tuple[int, int] = (1, 1)
"""(major, minor). Same major = compatible; a minor release only adds commands/status keys.
1.1 added the pass-gated edge counter (``GATE``, ``GATE?``)."""
GATE_SINCE: tuple[int, int] = (1, 1)
"""First protocol version with the gated edge counter."""
DEVICE_NAME = "LSISYNC"
MAX_REQUEST_BYTES = 64
"""Longest request line the device accepts, terminator included (firmware buffer size)."""
MAX_REPLY_BYTES = 128
"""Longest reply line the host accepts, terminator included."""
TAG_MODULUS = 65536
UINT32_MODULUS = 1 << 32
"""Edge counters are unsigned 32-bit and wrap (≈ 12 days of patterns at 4 kHz)."""

# Pulse-train limits (micros() polling on a 16 MHz AVR: 4 µs resolution, ~10 µs jitter).
MIN_PULSES = 1
MAX_PULSES = 1_000_000_000
MIN_PERIOD_US = 100
MAX_PERIOD_US = 60_000_000
MIN_WIDTH_US = 10
MIN_GAP_US = 10
"""Shortest low time between pulses (period_us - width_us)."""
MIN_GATE_US = 1
MAX_GATE_US = 60_000_000
"""Gate windows: 1 µs to 60 s (a 1088-pattern pass at 60 Hz lasts 0.75 s)."""
COINCIDENT_US = 20
"""A TRIG_OUT_1 rising edge at most this long before the TRIG_OUT_2 edge that opens a gate is
the pass's first pattern (both rise together at a pass start; ISR order is arbitrary)."""


class Command(StrEnum):
    """Request keywords (case-insensitive on the wire)."""

    IDN = "*IDN?"
    ARM = "ARM"
    FIRE = "FIRE"
    ABORT = "ABORT"
    STATUS = "STATUS?"
    EDGES = "EDGES?"
    EDGES_RESET = "EDGES:RESET"
    GATE = "GATE"
    GATE_QUERY = "GATE?"


ARGUMENT_COUNT: dict[Command, int] = {c: 0 for c in Command} | {Command.ARM: 3, Command.GATE: 1}
IDEMPOTENT: frozenset[Command] = frozenset(
    {Command.IDN, Command.STATUS, Command.EDGES, Command.GATE_QUERY}
)
"""Queries that may be re-sent after a timeout or a garbled reply; commands never are."""


class ErrorCode(IntEnum):
    """Numeric codes of ``ERR <code> <text>`` replies."""

    UNKNOWN_COMMAND = 1
    BAD_ARGUMENT = 2
    OUT_OF_RANGE = 3
    LINE_TOO_LONG = 4
    BUSY = 5
    NOT_ARMED = 6


class SyncProtocolError(DeviceError):
    """The controller answered something that is not a protocol line (garbage, overlong)."""


class SyncCommandError(DeviceError):
    """The controller refused a request with ``ERR <code> <text>``."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class SyncDisconnectedError(DeviceError):
    """The serial port vanished (USB cable pulled, board reset, emulator closed)."""


class RequestError(Exception):
    """Device side: a request line is invalid; becomes an ``ERR`` reply."""

    def __init__(self, code: ErrorCode, text: str, tag: int | None = None) -> None:
        super().__init__(f"{int(code)} {text}")
        self.code = code
        self.text = text
        self.tag = tag


@dataclass(frozen=True)
class Request:
    command: Command
    args: tuple[int, ...] = ()
    tag: int | None = None

    def encode(self) -> bytes:
        words = [f"@{self.tag}"] if self.tag is not None else []
        words += [self.command.value, *(str(a) for a in self.args)]
        return (" ".join(words) + "\n").encode("ascii")


@dataclass(frozen=True)
class Reply:
    ok: bool
    payload: str = ""
    tag: int | None = None
    error_code: int = 0

    def encode(self) -> bytes:
        words = [f"@{self.tag}"] if self.tag is not None else []
        words.append("OK" if self.ok else f"ERR {self.error_code}")
        if self.payload:
            words.append(self.payload)
        return (" ".join(words) + "\n").encode("ascii")

    @classmethod
    def error(cls, code: ErrorCode, text: str, tag: int | None = None) -> Reply:
        return cls(ok=False, payload=text, tag=tag, error_code=int(code))


@dataclass(frozen=True)
class Identity:
    firmware_version: str
    protocol_version: tuple[int, int]

    def encode_payload(self) -> str:
        major, minor = self.protocol_version
        return f"{DEVICE_NAME},{self.firmware_version},{major}.{minor}"


_PRINTABLE = re.compile(rb"[\x20-\x7e\t]*")
_TAG = re.compile(r"@(\d{1,5})")
_UINT = re.compile(r"\d{1,10}")


class LineFramer:
    """Splits a byte stream into lines at CR or LF; empty lines are dropped.

    A line longer than ``max_bytes`` (terminator included) is reported once as ``None`` and
    the rest of it is discarded up to the next terminator, so one runaway sender cannot make the
    reader buffer grow without bound.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._buf = bytearray()
        self._discarding = False

    def feed(self, data: bytes) -> list[bytes | None]:
        lines: list[bytes | None] = []
        for byte in data:
            if byte in (0x0A, 0x0D):
                if not self._discarding and self._buf:
                    lines.append(bytes(self._buf))
                self._buf.clear()
                self._discarding = False
            elif self._discarding:
                continue
            elif len(self._buf) >= self.max_bytes - 1:
                lines.append(None)
                self._buf.clear()
                self._discarding = True
            else:
                self._buf.append(byte)
        return lines

    @property
    def pending(self) -> bytes:
        """Bytes of an unfinished line (for error messages)."""
        return bytes(self._buf)


def _decode(line: bytes) -> str | None:
    if _PRINTABLE.fullmatch(line) is None:
        return None
    return line.decode("ascii")


def parse_request(line: bytes) -> Request:
    """Device side. Raises :class:`RequestError` carrying the tag when it could be read."""
    text = _decode(line)
    if text is None:
        raise RequestError(ErrorCode.UNKNOWN_COMMAND, "non-ASCII bytes in request")
    words = text.split()
    tag: int | None = None
    if words and words[0].startswith("@"):
        m = _TAG.fullmatch(words[0])
        if m is None or int(m.group(1)) >= TAG_MODULUS:
            raise RequestError(ErrorCode.BAD_ARGUMENT, "bad tag (use @0..@65535)")
        tag, words = int(m.group(1)), words[1:]
    try:
        return _parse_words(words, tag)
    except RequestError as exc:
        raise RequestError(exc.code, exc.text, tag) from None


def _parse_words(words: list[str], tag: int | None) -> Request:
    if not words:
        raise RequestError(ErrorCode.UNKNOWN_COMMAND, "empty request")
    name = words[0].upper()
    try:
        command = Command(name)
    except ValueError:
        raise RequestError(ErrorCode.UNKNOWN_COMMAND, f"unknown command {name}") from None
    args = words[1:]
    if len(args) != ARGUMENT_COUNT[command]:
        n = ARGUMENT_COUNT[command]
        raise RequestError(ErrorCode.BAD_ARGUMENT, f"{command.value} takes {n} arguments")
    if not all(_UINT.fullmatch(a) for a in args):
        raise RequestError(ErrorCode.BAD_ARGUMENT, "arguments are unsigned decimal integers")
    values = tuple(int(a) for a in args)
    if any(v >= UINT32_MODULUS for v in values):
        raise RequestError(ErrorCode.OUT_OF_RANGE, "argument above 4294967295")
    return Request(command, values, tag)


def parse_reply(line: bytes) -> Reply | None:
    """Host side. ``None`` for a device comment line (``# ...``, e.g. the boot banner).

    Raises :class:`SyncProtocolError` for anything that is not ``[@tag] OK [payload]`` or
    ``[@tag] ERR <code> <text>``; the caller adds the port to the message.
    """
    text = _decode(line)
    if text is None:
        raise SyncProtocolError(f"garbage reply {line[:40]!r} (non-ASCII bytes)")
    if text.lstrip().startswith("#"):
        return None
    tag: int | None = None
    body = text.strip()
    if body.startswith("@"):
        tag_word, _, body = body.partition(" ")
        m = _TAG.fullmatch(tag_word)
        if m is None or int(m.group(1)) >= TAG_MODULUS:
            raise SyncProtocolError(f"garbage reply {text[:40]!r} (bad tag)")
        tag = int(m.group(1))
    head, _, payload = body.strip().partition(" ")
    if head == "OK":
        return Reply(ok=True, payload=payload.strip(), tag=tag)
    if head == "ERR":
        code_text, _, err_text = payload.strip().partition(" ")
        if _UINT.fullmatch(code_text):
            return Reply(ok=False, payload=err_text.strip(), tag=tag, error_code=int(code_text))
    raise SyncProtocolError(f"garbage reply {text[:40]!r} (expected OK or ERR)")


def parse_identity(payload: str) -> Identity:
    parts = payload.split(",")
    if len(parts) != 3 or parts[0] != DEVICE_NAME:
        raise SyncProtocolError(f"*IDN? answered {payload!r}, not an {DEVICE_NAME} controller")
    m = re.fullmatch(r"(\d+)\.(\d+)", parts[2])
    if m is None:
        raise SyncProtocolError(f"*IDN? answered protocol version {parts[2]!r}, not MAJOR.MINOR")
    return Identity(parts[1], (int(m.group(1)), int(m.group(2))))


def is_compatible(device_version: tuple[int, int]) -> bool:
    """Same major version: the host ignores status keys and commands it does not know."""
    return device_version[0] == PROTOCOL_VERSION[0]


STATUS_KEYS = ("armed", "firing", "remaining", "edges")


def format_status(*, armed: bool, firing: bool, remaining: int, edges: int) -> str:
    return f"armed={int(armed)} firing={int(firing)} remaining={remaining} edges={edges}"


def parse_status(payload: str) -> dict[str, int]:
    """``key=value`` pairs; all of :data:`STATUS_KEYS` must be present, extra keys are kept."""
    fields: dict[str, int] = {}
    for word in payload.split():
        key, sep, value = word.partition("=")
        if not sep or not _UINT.fullmatch(value):
            raise SyncProtocolError(f"STATUS? answered {payload!r}: {word!r} is not key=uint")
        fields[key] = int(value)
    missing = [k for k in STATUS_KEYS if k not in fields]
    if missing:
        raise SyncProtocolError(f"STATUS? answered {payload!r}: missing {', '.join(missing)}")
    return fields


GATE_KEYS = ("state", "edges")


class GateState(IntEnum):
    """Where the pass-gated edge counter is (``GATE?`` ``state=``)."""

    IDLE = 0  # never armed since power-up
    ARMED = 1  # waiting for the next TRIG_OUT_2 rising edge
    COUNTING = 2  # open: counting TRIG_OUT_1 rising edges
    DONE = 3  # closed after the window: ``edges`` is the pass's latched count


def format_gate(state: GateState, edges: int) -> str:
    return f"state={int(state)} edges={edges}"


def parse_gate(payload: str) -> tuple[GateState, int]:
    """``state=<0-3> edges=<n>`` (extra keys of a later minor version are ignored)."""
    fields: dict[str, int] = {}
    for word in payload.split():
        key, sep, value = word.partition("=")
        if not sep or not _UINT.fullmatch(value):
            raise SyncProtocolError(f"GATE? answered {payload!r}: {word!r} is not key=uint")
        fields[key] = int(value)
    missing = [k for k in GATE_KEYS if k not in fields]
    if missing:
        raise SyncProtocolError(f"GATE? answered {payload!r}: missing {', '.join(missing)}")
    try:
        state = GateState(fields["state"])
    except ValueError:
        raise SyncProtocolError(f"GATE? answered {payload!r}: unknown state") from None
    return state, fields["edges"]


def check_gate(window_us: int) -> None:
    """Raise :class:`RequestError` (OUT_OF_RANGE) unless the gate window is within limits."""
    if not MIN_GATE_US <= window_us <= MAX_GATE_US:
        raise RequestError(
            ErrorCode.OUT_OF_RANGE, f"window_us must be {MIN_GATE_US}..{MAX_GATE_US}"
        )


def parse_count(payload: str) -> int:
    if _UINT.fullmatch(payload) is None:
        raise SyncProtocolError(f"EDGES? answered {payload!r}, not an unsigned integer")
    return int(payload)


def check_pulse_train(n_pulses: int, period_us: int, width_us: int) -> None:
    """Raise :class:`RequestError` (OUT_OF_RANGE) unless the train is within the limits."""
    if not MIN_PULSES <= n_pulses <= MAX_PULSES:
        raise RequestError(ErrorCode.OUT_OF_RANGE, f"n must be {MIN_PULSES}..{MAX_PULSES}")
    if not MIN_PERIOD_US <= period_us <= MAX_PERIOD_US:
        raise RequestError(
            ErrorCode.OUT_OF_RANGE, f"period_us must be {MIN_PERIOD_US}..{MAX_PERIOD_US}"
        )
    if width_us < MIN_WIDTH_US or period_us - width_us < MIN_GAP_US:
        raise RequestError(
            ErrorCode.OUT_OF_RANGE,
            f"width_us must be >= {MIN_WIDTH_US} and <= period_us - {MIN_GAP_US}",
        )
