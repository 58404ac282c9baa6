"""LSISYNC controller emulated on a pseudo-terminal, fed by the simulated World.

The real :mod:`lsi_rig.sync.serial_backend` opens the pty's slave path exactly as it opens
``/dev/ttyACM0``; a thread serves the master side with the firmware's state machine. The edge
counter counts the world's TRIG_OUT_1 rising edges (``world.trigger_edges``) since the last
``EDGES:RESET``, on the world's clock, so it sees the same injected missing/extra edges as the
sim backends. Faults (garbage, silence, slow replies, error replies, disconnect) can be
injected per command to exercise the driver's error paths. POSIX only (``os.openpty``).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import select
import threading
import tty
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lsi_rig.sync.wire import (
    COINCIDENT_US,
    MAX_REQUEST_BYTES,
    PROTOCOL_VERSION,
    TAG_MODULUS,
    UINT32_MODULUS,
    Command,
    ErrorCode,
    GateState,
    Identity,
    LineFramer,
    Reply,
    Request,
    RequestError,
    check_gate,
    check_pulse_train,
    format_gate,
    format_status,
    parse_request,
)

log = logging.getLogger(__name__)

EMULATOR_FIRMWARE_VERSION = "emulator-1.1.0"


class FaultKind(StrEnum):
    GARBAGE = "garbage"  # command executed, reply replaced by ``payload`` bytes
    SILENCE = "silence"  # command executed, reply lost
    SLOW = "slow"  # command executed, reply sent after ``delay_s`` (real time)
    ERROR = "error"  # command not executed, ``ERR <error_code> injected fault``
    STALE = "stale"  # a comment line and a reply with a wrong tag precede the real reply
    DISCONNECT = "disconnect"  # master side closed on receipt: the port vanishes


@dataclass
class _Fault:
    kind: FaultKind
    times: int
    command: Command | None
    delay_s: float
    error_code: int
    payload: bytes


class SyncDeviceModel:
    """The firmware's state machine with the world's clock standing in for ``micros()``."""

    def __init__(self, world: Any, identity: Identity) -> None:
        self.world = world
        self.identity = identity
        self._edges_t = world.clock.now_s()
        self._edges = 0
        self._armed = False
        self._train: tuple[int, int, int] = (0, 0, 0)
        self._fire_t: float | None = None
        self._gate_arm_t: float | None = None
        self._gate_window_s = 0.0
        self._gate_open_t: float | None = None

    def _rising_count(self, t0: float, t1: float) -> int:
        if t1 <= t0:
            return 0
        count = getattr(self.world, "trigger_edge_count", None)
        if count is not None:  # same number without materialising the edge times
            return int(count(t0, t1))
        return len(self.world.trigger_edges(t0, t1).trig1_rising_s)

    def gate(self) -> tuple[GateState, int]:
        """The firmware's gate: opened by the first TRIG_OUT_2 rising edge after ``GATE``,
        counting TRIG_OUT_1 rising edges (one coinciding with the opening edge included) until
        the window has passed; then latched."""
        if self._gate_arm_t is None:
            return GateState.IDLE, 0
        now = self.world.clock.now_s()
        if self._gate_open_t is None:
            t_arm = self._gate_arm_t - 1e-9  # an edge at the arming instant opens the gate
            starts = self.world.trigger_edges(t_arm, max(now, t_arm) + 1e-9).trig2_rising_s
            starts = starts[starts >= t_arm]
            if starts.size == 0:
                return GateState.ARMED, 0
            self._gate_open_t = float(starts[0])
        t_open = self._gate_open_t
        t_close = t_open + self._gate_window_s
        edges = self._rising_count(t_open - COINCIDENT_US * 1e-6, min(now + 1e-9, t_close))
        return (GateState.DONE if now >= t_close else GateState.COUNTING), edges

    def edge_count(self) -> int:
        """Rising TRIG_OUT_1 edges in [last reset, now), added incrementally (uint32, wraps)."""
        now = self.world.clock.now_s()
        if now > self._edges_t:
            count = getattr(self.world, "trigger_edge_count", None)
            if count is not None:  # same number without materialising hours of edge times
                new = int(count(self._edges_t, now))
            else:
                new = len(self.world.trigger_edges(self._edges_t, now).trig1_rising_s)
            self._edges = (self._edges + new) % UINT32_MODULUS
            self._edges_t = now
        return self._edges

    def _remaining(self) -> int:
        """Pulses not yet started; a finished train leaves the firing state."""
        n, period_us, width_us = self._train
        if self._fire_t is None:
            return n if self._armed else 0
        elapsed_us = (self.world.clock.now_s() - self._fire_t) * 1e6
        if elapsed_us >= (n - 1) * period_us + width_us:
            self._fire_t = None
            return 0
        return n - min(n, math.floor(elapsed_us / period_us) + 1)

    def handle(self, request: Request) -> Reply:
        cmd, tag = request.command, request.tag
        remaining = self._remaining()
        firing = self._fire_t is not None
        payload = ""
        if cmd is Command.IDN:
            payload = self.identity.encode_payload()
        elif cmd is Command.ARM:
            if firing:
                return Reply.error(ErrorCode.BUSY, "pulse train running; ABORT first", tag)
            try:
                check_pulse_train(*request.args)
            except RequestError as exc:
                return Reply.error(exc.code, exc.text, tag)
            n, period_us, width_us = request.args
            self._train, self._armed = (n, period_us, width_us), True
        elif cmd is Command.FIRE:
            if firing:
                return Reply.error(ErrorCode.BUSY, "pulse train running", tag)
            if not self._armed:
                return Reply.error(ErrorCode.NOT_ARMED, "ARM first", tag)
            self._armed, self._fire_t = False, self.world.clock.now_s()
        elif cmd is Command.ABORT:
            self._armed, self._fire_t = False, None
        elif cmd is Command.STATUS:
            payload = format_status(
                armed=self._armed, firing=firing, remaining=remaining, edges=self.edge_count()
            )
        elif cmd is Command.EDGES:
            payload = str(self.edge_count())
        elif cmd is Command.EDGES_RESET:
            self._edges, self._edges_t = 0, self.world.clock.now_s()
        elif cmd is Command.GATE:
            try:
                check_gate(*request.args)
            except RequestError as exc:
                return Reply.error(exc.code, exc.text, tag)
            self._gate_arm_t = self.world.clock.now_s()
            self._gate_window_s = request.args[0] * 1e-6
            self._gate_open_t = None
        elif cmd is Command.GATE_QUERY:
            payload = format_gate(*self.gate())
        return Reply(ok=True, payload=payload, tag=tag)


class PtyEmulator:
    """Handle of a running emulator: ``.port`` is the path to give pyserial."""

    def __init__(
        self,
        world: Any,
        *,
        firmware_version: str = EMULATOR_FIRMWARE_VERSION,
        protocol_version: tuple[int, int] = PROTOCOL_VERSION,
    ) -> None:
        self.model = SyncDeviceModel(world, Identity(firmware_version, protocol_version))
        self._master: int | None
        self._slave: int | None
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no CR/LF translation before pyserial opens it
        os.set_blocking(self._master, False)
        self.port: str = os.ttyname(self._slave)
        self._wake_r, self._wake_w = os.pipe()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._received: list[str] = []
        self._thread = threading.Thread(target=self._serve, name=f"sync-pty {self.port}")
        self._thread.daemon = True
        self._thread.start()

    @property
    def running(self) -> bool:
        """The serving thread is alive (False after close() or an injected disconnect)."""
        return self._thread.is_alive()

    @property
    def received(self) -> list[str]:
        """Request lines received so far (decoded, tag included), oldest first."""
        with self._lock:
            return list(self._received)

    def inject(
        self,
        kind: FaultKind | str,
        *,
        times: int = 1,
        command: Command | str | None = None,
        delay_s: float = 0.5,
        error_code: int = ErrorCode.BUSY,
        payload: bytes = b"\x00\xfe\xff garbage \x07\r\n",
    ) -> None:
        """Apply a fault to the next ``times`` requests (of ``command`` only, if given)."""
        fault = _Fault(
            FaultKind(kind),
            times,
            Command(command) if command is not None else None,
            delay_s,
            int(error_code),
            payload,
        )
        with self._lock:
            self._faults.append(fault)

    def close(self) -> None:
        """Stop the thread and close the pty; returns within ~2 s whatever state it is in."""
        self._stop.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        self._thread.join(timeout=2.0)
        if self._thread.is_alive():
            log.warning("sync emulator thread on %s did not stop", self.port)
        self._close_pty()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> PtyEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- serving thread ---------------------------------------------------------------------

    def _serve(self) -> None:
        framer = LineFramer(MAX_REQUEST_BYTES)
        while not self._stop.is_set():
            master = self._master
            if master is None:
                return
            try:
                ready, _, _ = select.select([master, self._wake_r], [], [], 1.0)
                if master not in ready:
                    continue
                data = os.read(master, 4096)
            except BlockingIOError:
                continue
            except (OSError, ValueError):  # fd closed under us
                return
            for line in framer.feed(data):
                self._handle_line(line)

    def _handle_line(self, line: bytes | None) -> None:
        if line is None:
            self._write(Reply.error(ErrorCode.LINE_TOO_LONG, "line too long").encode())
            return
        with self._lock:
            self._received.append(line.decode("ascii", "replace"))
        try:
            request = parse_request(line)
        except RequestError as exc:
            self._write(Reply.error(exc.code, exc.text, exc.tag).encode())
            return
        fault = self._take_fault(request.command)
        if fault is None:
            self._write(self.model.handle(request).encode())
        elif fault.kind is FaultKind.DISCONNECT:
            log.info("sync emulator on %s: injected disconnect", self.port)
            self._close_pty()
        elif fault.kind is FaultKind.ERROR:
            injected = Reply(False, "injected fault", request.tag, fault.error_code)
            self._write(injected.encode())
        else:
            reply = self.model.handle(request)
            if fault.kind is FaultKind.GARBAGE:
                self._write(fault.payload)
            elif fault.kind is FaultKind.SLOW:
                if not self._stop.wait(fault.delay_s):
                    self._write(reply.encode())
            elif fault.kind is FaultKind.STALE:
                stale_tag = ((request.tag or 0) + TAG_MODULUS // 2) % TAG_MODULUS
                self._write(b"# LSISYNC note\r\n" + Reply(True, "", stale_tag).encode())
                self._write(reply.encode())

    def _take_fault(self, command: Command) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.command is None or fault.command is command:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _write(self, data: bytes) -> None:
        """Non-blocking: a full pty buffer drops the rest, like an overrun UART FIFO."""
        master = self._master
        if master is None:
            return
        try:
            while data:
                data = data[os.write(master, data) :]
        except OSError as exc:  # BlockingIOError included
            log.debug("sync emulator on %s dropped %d bytes (%s)", self.port, len(data), exc)

    def _close_pty(self) -> None:
        with self._lock:
            fds, self._master, self._slave = (self._master, self._slave), None, None
        for fd in fds:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)


def start_pty_emulator(world: Any, **options: Any) -> PtyEmulator:
    """Start the emulator for ``world`` (needs ``world.clock`` and ``world.trigger_edges``)."""
    return PtyEmulator(world, **options)
