"""Test double of the NI gRPC Device Server (``nidaqmx_grpc.NiDAQmx``) fed by the World.

The real, unmodified ``nidaqmx`` client talks to it over loopback gRPC, so every line of the
NI-DAQmx backend that will talk to a DAQ runs in CI. Imports grpc/nidaqmx: load only when used.
"""

from __future__ import annotations

from lsi_rig.detector.grpc_double.model import DaqFault, Wiring
from lsi_rig.detector.grpc_double.server import DaqDoubleHandle, start_server

__all__ = ["DaqDoubleHandle", "DaqFault", "Wiring", "start_server"]
