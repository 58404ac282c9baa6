"""Start and stop the NI gRPC Device Server double on loopback (ephemeral port by default)."""

from __future__ import annotations

import logging
from concurrent import futures
from typing import Any, Literal

from lsi_rig.core.errors import DeviceError
from lsi_rig.detector.grpc_double.model import DaqFault, Wiring
from lsi_rig.detector.grpc_double.servicer import NiDaqmxDouble

log = logging.getLogger(__name__)


class DaqDoubleHandle:
    """A running double: ``address`` ("127.0.0.1:PORT") for ``grpc.insecure_channel``."""

    def __init__(self, server: Any, servicer: NiDaqmxDouble, address: str) -> None:
        self._server = server
        self.servicer = servicer
        self.address = address
        self._closed = False

    @property
    def endpoints(self) -> dict[str, str]:
        """What the rig builder puts into ``BackendContext.endpoints``."""
        return {"daq_grpc_address": self.address}

    def inject(self, fault: DaqFault | str, *, after_samples: int = 0) -> None:
        """Make the next read crossing ``after_samples`` fail with ``fault`` (once); SILENT
        makes every later call hang (until close)."""
        self.servicer.inject(DaqFault(fault), after_samples=after_samples)

    def kill(self) -> None:
        """The server dies mid-capture: in-flight calls are aborted and later ones find no
        server (the client sees UNAVAILABLE)."""
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.servicer.release()
            self._server.stop(grace=None).wait(timeout=5.0)

    def __enter__(self) -> DaqDoubleHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_server(
    world: Any,
    address: str = "127.0.0.1:0",
    *,
    wiring: Wiring | None = None,
    only_table_rpcs: bool = False,
    partial_data: Literal["abort", "response"] = "abort",
    max_workers: int = 4,
) -> DaqDoubleHandle:
    """Serve ``nidaqmx_grpc.NiDAQmx`` for one emulated DAQ fed by ``world``.

    ``only_table_rpcs`` answers UNIMPLEMENTED to everything outside hardware.md §4.3's table
    (a minimal independent server); ``partial_data`` chooses how failed reads travel (see
    :mod:`lsi_rig.detector.grpc_double.servicer`).
    """
    import grpc
    from nidaqmx._stubs.nidaqmx_pb2_grpc import add_NiDAQmxServicer_to_server

    servicer = NiDaqmxDouble(
        world, wiring, only_table_rpcs=only_table_rpcs, partial_data=partial_data
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers))
    add_NiDAQmxServicer_to_server(servicer, server)
    host, _, port = address.rpartition(":")
    bound = server.add_insecure_port(address)
    if bound == 0:
        raise DeviceError(f"NI-DAQmx gRPC double: cannot listen on {address} (port in use?)")
    server.start()
    actual = f"{host}:{bound}"
    log.info("NI-DAQmx gRPC double listening on %s (port %s requested)", actual, port)
    return DaqDoubleHandle(server, servicer, actual)
