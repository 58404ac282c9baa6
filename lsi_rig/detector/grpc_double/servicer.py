"""``nidaqmx_grpc.NiDAQmx`` servicer: the RPCs the real nidaqmx client issues (hardware.md §4.3).

Only the RPCs of the table in hardware.md §4.3 are required for the lsi-rig flow; a few optional
ones (device capabilities, ``retriggerable``, READ_ALL_AVAILABLE) are answered unless the double
is started with ``only_table_rpcs=True``, which makes them UNIMPLEMENTED like a minimal server.
Everything else falls through to the generated servicer and answers UNIMPLEMENTED.

Errors travel as NI's server sends them: the call is aborted with status UNKNOWN and trailing
metadata ``ni-error: <code>`` (plus ``ni-samps-per-chan-read`` for reads). With
``partial_data="response"`` a failed read instead returns the samples that did arrive in a normal
response whose ``status`` carries the code (the older server style the client also accepts).
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Any, Literal, NoReturn

import grpc
import numpy as np
from nidaqmx._stubs import nidaqmx_pb2 as pb
from nidaqmx._stubs.nidaqmx_pb2_grpc import NiDAQmxServicer
from session_pb2 import Session

from lsi_rig.detector.grpc_double.feed import plan_acquisition
from lsi_rig.detector.grpc_double.model import (
    AI_MEAS_VOLTAGE,
    CHAN_TYPE_AI,
    FAULT_CODES,
    READ_ALL_AVAILABLE,
    AiChannel,
    DaqFault,
    PendingFault,
    TaskState,
    Wiring,
)
from lsi_rig.detector.grpc_double.status import ERROR_STRINGS, DaqError

log = logging.getLogger(__name__)

DRIVER_VERSION = {0x1272: 24, 0x1923: 5, 0x2F22: 0}  # 24.5.0: READ_ALL uses 0x31E8
ATTR_TASK_NAME = 0x1276
ATTR_READ_CHANNELS_TO_READ = 0x1823
ATTR_CHAN_TYPE = 0x187F
ATTR_AI_MEAS_TYPE = 0x0695
ATTR_READ_NUM_SAMPS_FOR_READ_ALL = 0x31E8
ATTR_START_TRIG_RETRIGGERABLE = 0x190F
ATTR_DEV_AI_MAX_SINGLE_CHAN_RATE = 0x298C
ATTR_DEV_AI_MAX_MULTI_CHAN_RATE = 0x298D
ATTR_DEV_AI_VOLTAGE_RNGS = 0x2990
INFINITE_TIMEOUT_CAP_S = 10.0  # simulated seconds a -1 ("wait forever") read may wait


class NiDaqmxDouble(NiDAQmxServicer):  # type: ignore[misc]
    """One emulated DAQ device fed by ``world``; thread-safe (gRPC runs handlers in a pool)."""

    def __init__(
        self,
        world: Any,
        wiring: Wiring | None = None,
        *,
        only_table_rpcs: bool = False,
        partial_data: Literal["abort", "response"] = "abort",
        max_sample_rate_hz: float | None = None,
        ai_ranges_v: tuple[float, ...] = (0.2, 1.0, 5.0, 10.0),
    ) -> None:
        self.world = world
        self.wiring = wiring or Wiring()
        self.only_table_rpcs = only_table_rpcs
        self.partial_data = partial_data
        daq_cfg = getattr(getattr(world, "config", None), "daq", None)
        self.max_sample_rate_hz = max_sample_rate_hz or float(
            getattr(daq_cfg, "max_sample_rate_hz", 250e3)
        )
        self.ai_ranges_v = ai_ranges_v
        self.tasks: dict[str, TaskState] = {}
        self.faults: list[PendingFault] = []
        self.calls: list[str] = []  # RPC names in order, for tests and debugging
        self._lock = threading.RLock()
        self._unnamed = 0
        self.silent = False
        self._released = threading.Event()  # set on close: hung calls may end

    # ---- helpers -------------------------------------------------------------------------
    def inject(self, fault: DaqFault, *, after_samples: int = 0) -> None:
        if DaqFault(fault) is DaqFault.SILENT:
            self.silent = True
            return
        with self._lock:
            self.faults.append(PendingFault(DaqFault(fault), after_samples))

    def release(self) -> None:
        """End every call a silent server is holding (the double is closing)."""
        self._released.set()

    def _hang_if_silent(self, context: grpc.ServicerContext) -> None:
        if self.silent:
            self._released.wait(timeout=600.0)
            context.abort(grpc.StatusCode.UNAVAILABLE, "server stopped")

    def _now(self) -> float:
        return float(self.world.clock.now_s())

    def _task(self, session: Session) -> TaskState:
        try:
            return self.tasks[session.name]
        except KeyError:
            raise DaqError(-200088) from None

    def _log(self, name: str, context: grpc.ServicerContext | None = None) -> None:
        with self._lock:
            self.calls.append(name)
        if context is not None:
            self._hang_if_silent(context)

    @staticmethod
    def _abort(context: grpc.ServicerContext, err: DaqError) -> NoReturn:
        md = [("ni-error", str(err.code))]
        if err.samps_read is not None:
            md.append(("ni-samps-per-chan-read", str(err.samps_read)))
        context.set_trailing_metadata(tuple(md))
        context.abort(grpc.StatusCode.UNKNOWN, str(err))
        raise AssertionError("unreachable")  # context.abort raises

    def _optional(self, context: grpc.ServicerContext) -> None:
        if self.only_table_rpcs:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not implemented!")

    def _run(self, name: str, context: grpc.ServicerContext, fn: Any) -> Any:
        self._log(name, context)
        try:
            with self._lock:
                return fn()
        except DaqError as err:
            self._abort(context, err)
        except NotImplementedError as exc:
            self._abort(context, DaqError(-200077, str(exc)))

    # ---- system / task -------------------------------------------------------------------
    def GetSystemInfoAttributeUInt32(self, request, context):
        def fn():
            return pb.GetSystemInfoAttributeUInt32Response(
                value=DRIVER_VERSION.get(request.attribute_raw, 0)
            )

        return self._run("GetSystemInfoAttributeUInt32", context, fn)

    def GetErrorString(self, request, context):
        self._log("GetErrorString", context)
        return pb.GetErrorStringResponse(error_string=ERROR_STRINGS.get(request.error_code, ""))

    def CreateTask(self, request, context):
        def fn():
            name = request.session_name
            if not name:
                self._unnamed += 1
                name = f"_unnamedTask<{self._unnamed - 1}>"
            if name in self.tasks:
                return pb.CreateTaskResponse(task=Session(name=name), new_session_initialized=False)
            self.tasks[name] = TaskState(name=name)
            return pb.CreateTaskResponse(task=Session(name=name), new_session_initialized=True)

        return self._run("CreateTask", context, fn)

    def GetTaskAttributeString(self, request, context):
        def fn():
            task = self._task(request.task)
            if request.attribute_raw != ATTR_TASK_NAME:
                raise DaqError(-200077, f"task string attribute {request.attribute_raw:#x}")
            return pb.GetTaskAttributeStringResponse(value=task.name)

        return self._run("GetTaskAttributeString", context, fn)

    def ClearTask(self, request, context):
        def fn():
            self.tasks.pop(request.task.name, None)
            return pb.ClearTaskResponse()

        return self._run("ClearTask", context, fn)

    # ---- configuration -------------------------------------------------------------------
    def CreateAIVoltageChan(self, request, context):
        def fn():
            task = self._task(request.task)
            for physical in [p.strip() for p in request.physical_channel.split(",") if p.strip()]:
                dev = physical.strip("/").partition("/")[0]
                if dev != self.wiring.device or "/ai" not in physical:
                    raise DaqError(-200170, f"'{physical}' is not an AI channel of {dev}")
                task.channels.append(
                    AiChannel(
                        physical=physical,
                        name=request.name_to_assign_to_channel or physical,
                        signal=self.wiring.ai_signal(physical),
                        min_v=request.min_val,
                        max_v=request.max_val,
                        terminal_config_raw=request.terminal_config_raw,
                    )
                )
            return pb.CreateAIVoltageChanResponse()

        return self._run("CreateAIVoltageChan", context, fn)

    def CfgSampClkTiming(self, request, context):
        def fn():
            task = self._task(request.task)
            if request.rate <= 0:
                raise DaqError(-200077, f"sample clock rate {request.rate} Hz")
            task.rate_hz = request.rate
            task.clock_source = request.source
            task.clock_edge_raw = request.active_edge_raw
            task.sample_mode_raw = request.sample_mode_raw
            task.samps_per_chan = int(request.samps_per_chan)
            return pb.CfgSampClkTimingResponse()

        return self._run("CfgSampClkTiming", context, fn)

    def CfgDigEdgeStartTrig(self, request, context):
        def fn():
            task = self._task(request.task)
            task.start_trigger_source = request.trigger_source
            task.start_trigger_edge_raw = request.trigger_edge_raw
            return pb.CfgDigEdgeStartTrigResponse()

        return self._run("CfgDigEdgeStartTrig", context, fn)

    def SetTrigAttributeBool(self, request, context):
        self._optional(context)

        def fn():
            task = self._task(request.task)
            if request.attribute_raw == ATTR_START_TRIG_RETRIGGERABLE:
                task.retriggerable = request.value
            return pb.SetTrigAttributeBoolResponse()

        return self._run("SetTrigAttributeBool", context, fn)

    # ---- start / stop --------------------------------------------------------------------
    def StartTask(self, request, context):
        def fn():
            task = self._task(request.task)
            reserved = [f for f in self.faults if f.kind is DaqFault.RESERVED]
            if reserved:
                self.faults.remove(reserved[0])
                raise DaqError(-50103)
            if not task.channels:
                raise DaqError(-200077, "task has no channels")
            task.running = True
            task.t_arm_s = self._now()
            task.acquisition = None
            task.read_pos = 0
            return pb.StartTaskResponse()

        return self._run("StartTask", context, fn)

    def StopTask(self, request, context):
        def fn():
            self._task(request.task).running = False
            return pb.StopTaskResponse()

        return self._run("StopTask", context, fn)

    # ---- reading -------------------------------------------------------------------------
    def GetReadAttributeString(self, request, context):
        def fn():
            task = self._task(request.task)
            if request.attribute_raw != ATTR_READ_CHANNELS_TO_READ:
                raise DaqError(-200077, f"read string attribute {request.attribute_raw:#x}")
            return pb.GetReadAttributeStringResponse(value=",".join(c.name for c in task.channels))

        return self._run("GetReadAttributeString", context, fn)

    def GetChanAttributeInt32(self, request, context):
        def fn():
            self._task(request.task)
            values = {ATTR_CHAN_TYPE: CHAN_TYPE_AI, ATTR_AI_MEAS_TYPE: AI_MEAS_VOLTAGE}
            if request.attribute_raw not in values:
                raise DaqError(-200077, f"channel attribute {request.attribute_raw:#x}")
            return pb.GetChanAttributeInt32Response(value_raw=values[request.attribute_raw])

        return self._run("GetChanAttributeInt32", context, fn)

    def GetReadAttributeUInt32(self, request, context):
        self._optional(context)

        def fn():
            task = self._task(request.task)
            if request.attribute_raw != ATTR_READ_NUM_SAMPS_FOR_READ_ALL:
                raise DaqError(-200077, f"read attribute {request.attribute_raw:#x}")
            return pb.GetReadAttributeUInt32Response(value=max(0, task.samps_per_chan))

        return self._run("GetReadAttributeUInt32", context, fn)

    def ReadAnalogF64(self, request, context):
        def fn():
            task = self._task(request.task)
            values, status, k = self._read(task, request.num_samps_per_chan, request.timeout)
            if status != 0 and self.partial_data == "abort":
                raise DaqError(status, samps_read=k)
            return pb.ReadAnalogF64Response(
                status=status, read_array=values.ravel().tolist(), samps_per_chan_read=k
            )

        return self._run("ReadAnalogF64", context, fn)

    def _read(self, task: TaskState, n: int, timeout: float) -> tuple[np.ndarray, int, int]:
        """Deliver up to ``n`` samples per channel by now + timeout (simulated time)."""
        if not task.running:
            raise DaqError(-200473, "task is not running")
        if task.acquisition is None:
            task.acquisition = plan_acquisition(self.world, task, self.wiring)
        acq = task.acquisition
        if n == READ_ALL_AVAILABLE:
            n = task.samps_per_chan - task.read_pos
        if task.read_pos + n > task.samps_per_chan:
            raise DaqError(-200278, samps_read=0)
        now = self._now()
        wait_s = INFINITE_TIMEOUT_CAP_S if timeout < 0 else timeout
        deadline = now + wait_s
        lo, hi = task.read_pos, task.read_pos + n
        arrived = int(np.searchsorted(acq.times_s[lo : min(hi, acq.n_samples)], deadline, "right"))
        status = 0
        fault = next((f for f in self.faults if lo + arrived > f.after_samples), None)
        if fault is not None:
            self.faults.remove(fault)
            arrived = max(0, min(arrived, fault.after_samples - lo))
            status = FAULT_CODES[fault.kind]
        elif arrived < n:
            status = -200284
        k = arrived
        values = acq.data_v[:, lo : lo + k]
        task.read_pos += k
        if status == -200284:
            self.world.clock.advance_to(deadline if math.isfinite(deadline) else now)
        elif k:
            self.world.clock.advance_to(float(acq.times_s[lo + k - 1]))
        return values, status, k

    # ---- device capabilities (optional) --------------------------------------------------
    def GetDeviceAttributeDouble(self, request, context):
        self._optional(context)

        def fn():
            if request.device_name != self.wiring.device:
                raise DaqError(-200170, f"no device '{request.device_name}'")
            if request.attribute_raw not in (
                ATTR_DEV_AI_MAX_SINGLE_CHAN_RATE,
                ATTR_DEV_AI_MAX_MULTI_CHAN_RATE,
            ):
                raise DaqError(-200077, f"device attribute {request.attribute_raw:#x}")
            return pb.GetDeviceAttributeDoubleResponse(value=self.max_sample_rate_hz)

        return self._run("GetDeviceAttributeDouble", context, fn)

    def GetDeviceAttributeDoubleArray(self, request, context):
        self._optional(context)

        def fn():
            if request.attribute_raw != ATTR_DEV_AI_VOLTAGE_RNGS:
                raise DaqError(-200077, f"device attribute {request.attribute_raw:#x}")
            pairs = [v for r in self.ai_ranges_v for v in (-r, r)]
            return pb.GetDeviceAttributeDoubleArrayResponse(value=pairs)

        return self._run("GetDeviceAttributeDoubleArray", context, fn)
