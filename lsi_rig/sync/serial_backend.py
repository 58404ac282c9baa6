"""SyncController on a serial port (pyserial), speaking the LSISYNC protocol of ``wire.py``.

The same code drives the Arduino on the bench and the pty emulator in CI. Each request gets a
fresh tag and a deadline; only idempotent queries are re-sent, because re-sending ``ARM``,
``FIRE``, ``ABORT`` or ``EDGES:RESET`` after a lost reply could start a second pulse train or
erase edges that were counted in between. Every failure becomes a :class:`DeviceError` naming
the port and the command.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.errors import ConfigError, DeviceError, DeviceNotFoundError, DeviceTimeoutError
from lsi_rig.sync.config import SerialSyncConfig
from lsi_rig.sync.protocol import EdgeGate, SyncStatus
from lsi_rig.sync.wire import (
    GATE_SINCE,
    IDEMPOTENT,
    MAX_REPLY_BYTES,
    PROTOCOL_VERSION,
    TAG_MODULUS,
    Command,
    Identity,
    LineFramer,
    Reply,
    Request,
    RequestError,
    SyncCommandError,
    SyncDisconnectedError,
    SyncProtocolError,
    check_gate,
    check_pulse_train,
    is_compatible,
    parse_count,
    parse_gate,
    parse_identity,
    parse_reply,
    parse_status,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

POLL_S = 0.02
"""pyserial read timeout; the per-request deadline is enforced around it."""


def _port_errors() -> tuple[type[BaseException], ...]:
    import serial

    errors: tuple[type[BaseException], ...] = (serial.SerialException, OSError)
    try:
        import termios

        errors += (termios.error,)
    except ImportError:  # Windows
        pass
    return errors


def _open_port(port: str, baudrate: int, timeout_s: float) -> Any:
    import serial

    kwargs: dict[str, Any] = {
        "baudrate": baudrate,
        "timeout": min(POLL_S, timeout_s),
        "write_timeout": timeout_s,
    }
    try:
        if "://" in port:
            return serial.serial_for_url(port, **kwargs)
        return serial.Serial(port, exclusive=True, **kwargs)
    except ValueError as exc:
        raise ConfigError(f"devices.sync: invalid serial settings for '{port}' ({exc})") from exc
    except serial.SerialException as exc:
        code = exc.errno
        if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
            hint = "not found; check the USB cable and the port name (ls /dev/ttyACM* /dev/ttyUSB*)"
        elif code in (errno.EACCES, errno.EPERM):
            hint = "permission denied; add your user to the 'dialout' group and log in again"
        elif code in (errno.EAGAIN, errno.EBUSY):
            hint = "in use by another program (Arduino serial monitor?); close it"
        else:
            hint = f"cannot be opened ({exc})"
        raise DeviceNotFoundError(f"sync controller port '{port}' {hint}") from exc


class SerialSync:
    """LSISYNC trigger controller: pulse trains out, TRIG_OUT_1 edges counted in."""

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 115200,
        timeout_s: float = 1.0,
        query_retries: int = 2,
        open_settle_s: float = 0.0,
    ) -> None:
        self.port = port
        self.baudrate = baudrate
        self.timeout_s = timeout_s
        self.query_retries = query_retries
        self._lock = threading.Lock()
        self._tag = 0
        self._dead: str | None = None
        self._errors = _port_errors()
        self._ser = _open_port(port, baudrate, timeout_s)
        try:
            if open_settle_s > 0:
                time.sleep(open_settle_s)
            self.identity = self._identify()
        except BaseException:
            self.close()
            raise
        log.info("sync controller on %s: %s", port, self.identity)
        if not self.has_edge_gate:
            log.warning(
                "sync controller on %s speaks protocol %d.%d: no pass-gated edge counter, so "
                "its edges are not checked; flash firmware/lsi_sync/lsi_sync.ino (protocol "
                "%d.%d) from this lsi-rig version",
                port,
                *self.identity.protocol_version,
                *GATE_SINCE,
            )

    # --- SyncController -------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        major, minor = self.identity.protocol_version
        return {
            "model": "LSISYNC serial trigger controller",
            "backend": "serial",
            "port": self.port,
            "baudrate": self.baudrate,
            "firmware_version": self.identity.firmware_version,
            "protocol_version": f"{major}.{minor}",
            "host_protocol_version": "{}.{}".format(*PROTOCOL_VERSION),
        }

    def identify(self) -> str:
        return self._transact(Command.IDN)

    def arm(self, n_pulses: int, period_us: float, width_us: float) -> None:
        train = (int(n_pulses), round(period_us), round(width_us))
        if train[0] != n_pulses:
            raise SyncCommandError(f"sync ARM: n_pulses={n_pulses!r} is not an integer", 3)
        try:
            check_pulse_train(*train)
        except RequestError as exc:
            raise SyncCommandError(
                f"sync controller on {self.port}: ARM {n_pulses} {period_us} {width_us} "
                f"rejected: {exc.text}",
                int(exc.code),
            ) from None
        self._transact(Command.ARM, train)

    def fire(self) -> None:
        self._transact(Command.FIRE)

    def abort(self) -> None:
        self._transact(Command.ABORT)

    def status(self) -> SyncStatus:
        fields = self._request(Command.STATUS, (), parse_status)
        return SyncStatus(
            armed=bool(fields["armed"]),
            firing=bool(fields["firing"]),
            pulses_remaining=fields["remaining"],
            edge_count=fields["edges"],
            raw=dict(fields),
        )

    def edge_count(self) -> int:
        return self._request(Command.EDGES, (), parse_count)

    def reset_edge_count(self) -> None:
        self._transact(Command.EDGES_RESET)

    @property
    def has_edge_gate(self) -> bool:
        return self.identity.protocol_version >= GATE_SINCE

    def arm_edge_gate(self, window_us: float) -> None:
        self._need_gate("GATE")
        window = round(window_us)
        try:
            check_gate(window)
        except RequestError as exc:
            raise SyncCommandError(
                f"sync controller on {self.port}: GATE {window_us:g} rejected: {exc.text}",
                int(exc.code),
            ) from None
        self._transact(Command.GATE, (window,))

    def edge_gate(self) -> EdgeGate:
        self._need_gate("GATE?")
        state, edges = self._request(Command.GATE_QUERY, (), parse_gate)
        return EdgeGate(state.name.lower(), edges)

    def _need_gate(self, command: str) -> None:
        if not self.has_edge_gate:
            raise DeviceError(
                f"sync controller on {self.port} speaks protocol {{}}.{{}}".format(
                    *self.identity.protocol_version
                )
                + f" and has no {command}; flash firmware/lsi_sync/lsi_sync.ino from this "
                "lsi-rig version"
            )

    def close(self) -> None:
        ser, self._ser = getattr(self, "_ser", None), None
        if self._dead is None:
            self._dead = "closed"
        if ser is not None:
            try:
                ser.close()
            except self._errors:
                log.debug("error closing %s", self.port, exc_info=True)

    def __enter__(self) -> SerialSync:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport --------------------------------------------------------------------------

    def _identify(self) -> Identity:
        identity = self._request(Command.IDN, (), parse_identity)
        if not is_compatible(identity.protocol_version):
            dev = "{}.{}".format(*identity.protocol_version)
            host = "{}.{}".format(*PROTOCOL_VERSION)
            raise DeviceError(
                f"sync controller on {self.port} speaks protocol {dev}, this software speaks "
                f"{host} (major versions must match); flash firmware/lsi_sync/lsi_sync.ino from "
                "this lsi-rig version"
            )
        return identity

    def _transact(self, command: Command, args: tuple[int, ...] = ()) -> str:
        return self._request(command, args, str)

    def _request(self, command: Command, args: tuple[int, ...], parse: Callable[[str], T]) -> T:
        """One request/reply, returning ``parse(payload)``. Queries are re-sent after a
        timeout or a garbled line or payload; commands never are."""
        with self._lock:
            attempts = 1 + (self.query_retries if command in IDEMPOTENT else 0)
            for attempt in range(1, attempts + 1):
                request = Request(command, args, self._tag)
                self._tag = (self._tag + 1) % TAG_MODULUS
                try:
                    reply = self._exchange(request)
                    if not reply.ok:
                        raise SyncCommandError(
                            f"sync controller on {self.port} refused "
                            f"'{request.encode().decode().strip()}': ERR {reply.error_code} "
                            f"{reply.payload}",
                            reply.error_code,
                        )
                    return self._parse_payload(parse, reply.payload)
                except (DeviceTimeoutError, SyncProtocolError) as exc:
                    if attempt == attempts:
                        raise
                    log.warning("%s; re-sending (%d of %d)", exc, attempt, attempts - 1)
        raise AssertionError("unreachable")  # pragma: no cover

    def _parse_payload(self, parse: Callable[[str], T], payload: str) -> T:
        try:
            return parse(payload)
        except SyncProtocolError as exc:
            raise SyncProtocolError(f"sync controller on {self.port}: {exc}") from None

    def _exchange(self, request: Request) -> Reply:
        ser = self._live_port()
        name = request.command.value
        try:
            ser.reset_input_buffer()  # stale bytes from an earlier timeout
            ser.write(request.encode())
            ser.flush()
        except self._errors as exc:
            self._disconnected(exc, name)
        framer = LineFramer(MAX_REPLY_BYTES)
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                chunk = ser.read(ser.in_waiting or 1)
            except self._errors as exc:
                self._disconnected(exc, name)
            for line in framer.feed(chunk):
                reply = self._check_line(line, request)
                if reply is not None:
                    return reply
            if time.monotonic() >= deadline:
                partial = f" (partial line {framer.pending[:40]!r})" if framer.pending else ""
                raise DeviceTimeoutError(
                    f"sync controller on {self.port} did not answer {name} within "
                    f"{self.timeout_s:g} s{partial}; check the cable, the baud rate "
                    f"({self.baudrate}) and that firmware/lsi_sync is flashed"
                )

    def _check_line(self, line: bytes | None, request: Request) -> Reply | None:
        name = request.command.value
        if line is None:
            raise SyncProtocolError(
                f"sync controller on {self.port} sent a reply line longer than "
                f"{MAX_REPLY_BYTES} bytes to {name} (wrong baud rate or not an LSISYNC device?)"
            )
        try:
            reply = parse_reply(line)
        except SyncProtocolError as exc:
            raise SyncProtocolError(
                f"sync controller on {self.port}: {exc} to {name} "
                "(wrong baud rate or not an LSISYNC device?)"
            ) from None
        if reply is None:
            log.debug("sync controller on %s says %r", self.port, line)
            return None
        if reply.tag is None:
            raise SyncProtocolError(
                f"sync controller on {self.port} answered {name} without the request tag "
                f"({line[:40]!r}); flash firmware speaking protocol {PROTOCOL_VERSION[0]}.x"
            )
        if reply.tag != request.tag:
            log.warning("sync controller on %s: dropping stale reply %r", self.port, line)
            return None
        return reply

    def _live_port(self) -> Any:
        if self._ser is None or self._dead is not None:
            state = self._dead or "closed"
            if state == "closed":
                raise DeviceError(f"sync controller on {self.port} is closed")
            raise SyncDisconnectedError(state)
        return self._ser

    def _disconnected(self, exc: BaseException, command: str) -> Any:
        self._dead = (
            f"sync controller on {self.port} was disconnected ({exc}) during {command}; "
            "reconnect the USB cable and restart the rig"
        )
        ser, self._ser = self._ser, None
        if ser is not None:
            with contextlib.suppress(*self._errors):
                ser.close()
        raise SyncDisconnectedError(self._dead) from exc


def create(cfg: SerialSyncConfig, ctx: BackendContext) -> SerialSync:
    """Factory for ``devices.sync.backend: serial``; port 'emulator' = the rig's pty emulator."""
    port = cfg.port
    if port == "emulator":
        try:
            port = str(ctx.endpoints["sync_port"])
        except KeyError:
            raise ConfigError(
                "devices.sync.port is 'emulator' but no sync emulator is running (endpoint "
                "'sync_port'); use the emulated rig or set a real serial port"
            ) from None
    return SerialSync(
        port,
        baudrate=cfg.baudrate,
        timeout_s=cfg.timeout_s,
        query_retries=cfg.query_retries,
        open_settle_s=cfg.open_settle_s,
    )
