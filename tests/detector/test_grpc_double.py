"""The real nidaqmx client against the NI gRPC double: RPC flow, timeouts, faults, partial reads.

A deterministic fake world (exact timing, known volts) isolates the double's mechanics; the
acceptance tests against the real World are in test_world_acceptance.py.
"""

from __future__ import annotations

import grpc
import nidaqmx
import nidaqmx.errors
import numpy as np
import pytest
from nidaqmx.constants import AcquisitionType, Edge

from lsi_rig.core.errors import DeviceError, DeviceNotFoundError, DeviceTimeoutError
from lsi_rig.core.flags import RecordFlags
from lsi_rig.detector.grpc_double import DaqFault
from tests.detector.conftest import VOLTS, request_for

pytestmark = pytest.mark.timeout(60)

TABLE_RPCS = {
    "GetSystemInfoAttributeUInt32",
    "CreateTask",
    "GetTaskAttributeString",
    "CreateAIVoltageChan",
    "CfgSampClkTiming",
    "CfgDigEdgeStartTrig",
    "StartTask",
    "ReadAnalogF64",
    "StopTask",
    "ClearTask",
}


def test_per_pattern_vector_and_clock(fake_world, serve, detector_for):
    h = serve(fake_world)
    det = detector_for(h, fake_world)
    for expected_end in (0.0165, 0.0325):  # last falling edge of pass 1 and pass 2
        det.arm(request_for(16))
        reading = det.read()
        np.testing.assert_array_equal(reading.samples_v, VOLTS)
        assert reading.flags == RecordFlags.NONE
        assert reading.edges_seen is None  # a finite read of 16 samples cannot count more
        assert fake_world.clock.now_s() == pytest.approx(expected_end, abs=1e-12)


def test_minimal_server_serves_the_main_flow(fake_world, serve, detector_for):
    """Only the RPCs of hardware.md §4.3's table: capability queries degrade to defaults."""
    h = serve(fake_world, only_table_rpcs=True)
    det = detector_for(h, fake_world, sample_rate_hz=50e3)
    det.arm(request_for(16))
    np.testing.assert_array_equal(det.read().samples_v, VOLTS)
    det.close()
    assert set(h.servicer.calls) <= TABLE_RPCS
    assert "ClearTask" in h.servicer.calls
    d = det.describe()
    assert d["device_max_multi_chan_rate_hz"] is None and d["sample_rate_hz"] == 50e3
    # and the optional RPCs really are UNIMPLEMENTED on this server
    opts = nidaqmx.GrpcSessionOptions(grpc.insecure_channel(h.address), "")
    with nidaqmx.Task(grpc_options=opts) as task:
        with pytest.raises(nidaqmx.errors.RpcError) as info:
            task.triggers.start_trigger.retriggerable = True
        assert info.value.rpc_code == grpc.StatusCode.UNIMPLEMENTED
    opts.grpc_channel.close()


def test_rate_defaults_to_device_maximum(fake_world, serve, detector_for):
    h = serve(fake_world)  # the double reports 250 kS/s multi-channel
    assert detector_for(h, fake_world).sample_rate_hz == 125e3  # two channels
    capped = detector_for(h, fake_world, sample_rate_hz=400e3)
    assert capped.sample_rate_hz == 125e3


def test_plain_task_read_api(fake_world, serve):
    """nidaqmx's own Task.read (channels-to-read + channel-type RPCs) works on the double."""
    h = serve(fake_world)
    opts = nidaqmx.GrpcSessionOptions(grpc.insecure_channel(h.address), "")
    with nidaqmx.Task(grpc_options=opts) as task:
        task.ai_channels.add_ai_voltage_chan("Dev1/ai0", min_val=-10, max_val=10)
        task.timing.cfg_samp_clk_timing(
            1000, source="/Dev1/PFI0", active_edge=Edge.FALLING,
            sample_mode=AcquisitionType.FINITE, samps_per_chan=16,
        )  # fmt: skip
        task.triggers.start_trigger.cfg_dig_edge_start_trig("/Dev1/PFI1", Edge.RISING)
        task.start()
        data = task.read(16, timeout=1.0)
        task.stop()
    opts.grpc_channel.close()
    np.testing.assert_array_equal(data, VOLTS)
    assert {"GetReadAttributeString", "GetChanAttributeInt32"} <= set(h.servicer.calls)


def test_range_is_clipped(fake_world, serve, detector_for):
    h = serve(fake_world)
    det = detector_for(h, fake_world, range_v=0.5)
    det.arm(request_for(16))
    reading = det.read()
    np.testing.assert_array_equal(reading.samples_v, np.minimum(VOLTS, 0.5))
    assert reading.flags & RecordFlags.SATURATED


def test_timeout_without_sequence_is_clear_and_simulated(serve, detector_for):
    from tests.detector.fakes import FakeWorld

    world = FakeWorld(VOLTS, t_run=None)  # DMD not running
    h = serve(world)
    det = detector_for(h, world)
    det.arm(request_for(16, timeout_s=3.0))
    with pytest.raises(DeviceTimeoutError) as info:
        det.read()
    msg = str(info.value)
    assert "-200284" in msg
    assert "no TRIG_OUT_1 edges reached /Dev1/PFI0 or TRIG_OUT_2 edge reached /Dev1/PFI1" in msg
    assert "check wiring" in msg and "DMD runs" in msg
    assert world.clock.now_s() == pytest.approx(3.0)  # waited in simulated time only


def test_wrong_pfi_times_out_naming_it(fake_world, serve, detector_for):
    h = serve(fake_world)
    det = detector_for(h, fake_world, sample_clock_terminal="PFI3")
    det.arm(request_for(16))
    with pytest.raises(DeviceTimeoutError, match="TRIG_OUT_1 edges reached /Dev1/PFI3"):
        det.read()


def test_overwrite_is_a_clear_error(fake_world, serve, detector_for):
    h = serve(fake_world)
    det = detector_for(h, fake_world)
    h.inject(DaqFault.OVERWRITE)
    det.arm(request_for(16))
    with pytest.raises(DeviceError) as info:
        det.read()
    assert "buffer was overwritten" in str(info.value) and "-200279" in str(info.value)
    det.arm(request_for(16))  # the fault fired once; the next pass is clean
    np.testing.assert_array_equal(det.read().samples_v, VOLTS)


@pytest.mark.parametrize(("style", "kept"), [("abort", 8), ("response", 10)])
def test_partial_read_keeps_what_arrived(fake_world, serve, detector_for, style, kept):
    """Chunks of 4 samples; the clock stops after 10. NI's server style drops the failed
    chunk's data (8 kept), the response style delivers it (10 kept)."""
    h = serve(fake_world, partial_data=style)
    det = detector_for(h, fake_world, read_chunk_s=0.004)
    h.inject(DaqFault.TIMEOUT, after_samples=10)
    det.arm(request_for(16, timeout_s=0.5))
    reading = det.read()
    np.testing.assert_array_equal(reading.samples_v[:kept], VOLTS[:kept])
    assert np.isnan(reading.samples_v[kept:]).all()
    assert reading.flags & RecordFlags.PARTIAL_READ and reading.flags & RecordFlags.MISSING_EDGES
    assert reading.edges_seen is None
    assert f"kept {kept} of 16 samples" in reading.messages[0]
    assert "-200284" in reading.messages[0]


def test_fifo_overflow_partial(fake_world, serve, detector_for):
    h = serve(fake_world, partial_data="response")
    det = detector_for(h, fake_world)
    h.inject(DaqFault.FIFO_OVERFLOW, after_samples=5)
    det.arm(request_for(16))
    reading = det.read()
    assert np.isfinite(reading.samples_v).sum() == 5
    assert "FIFO overflowed (DAQmx -200361)" in reading.messages[0]


def test_adc_overrun_without_samples_raises(fake_world, serve, detector_for):
    h = serve(fake_world)
    det = detector_for(h, fake_world)
    h.inject(DaqFault.ADC_OVERRUN)
    det.arm(request_for(16))
    with pytest.raises(DeviceError, match=r"ADC overrun .*\(/Dev1/PFI0\)"):
        det.read()


def test_reserved_device(fake_world, serve, detector_for):
    h = serve(fake_world)
    det = detector_for(h, fake_world)
    h.inject(DaqFault.RESERVED)
    with pytest.raises(DeviceError, match="reserved by another task"):
        det.arm(request_for(16))


def test_unreachable_server_names_address(fake_world, detector_for, serve):
    h = serve(fake_world)
    address = h.address
    h.close()
    from lsi_rig.detector.config import NidaqmxConfig
    from lsi_rig.detector.nidaqmx_backend import NidaqmxDetector

    cfg = NidaqmxConfig(grpc={"address": address})
    with pytest.raises(DeviceNotFoundError, match=f"Server at {address} is unreachable"):
        NidaqmxDetector(cfg, clock=fake_world.clock, grpc_address=address)


def test_no_local_driver_hint(fake_world):
    from lsi_rig.detector.config import NidaqmxConfig
    from lsi_rig.detector.nidaqmx_backend import NidaqmxDetector

    with pytest.raises(DeviceNotFoundError, match=r"install NI-DAQmx.*grpc\.address"):
        NidaqmxDetector(NidaqmxConfig(), clock=fake_world.clock)


@pytest.mark.parametrize("trigger_channel", ["ai1", None])
def test_oversampled_trace_segments(serve, detector_for, trigger_channel):
    from tests.detector.fakes import FakeWorld

    world = FakeWorld(VOLTS, period_s=1e-3, exposure_s=0.8e-3, t_run=0.0005)
    h = serve(world)
    det = detector_for(
        h, world, mode="oversampled", sample_rate_hz=100e3, trigger_ai_channel=trigger_channel
    )
    det.arm(request_for(16, exposure_us=800.0, keep_trace=True))
    reading = det.read()
    np.testing.assert_allclose(reading.samples_v, VOLTS, rtol=0, atol=1e-12)
    assert reading.edges_seen == 16 and reading.flags == RecordFlags.NONE
    assert reading.trace_v is not None
    assert reading.trace_v.shape == (2 if trigger_channel else 1, 1600)
    assert reading.trace_rate_hz == 100e3


def test_without_start_trigger_first_sample_is_next_edge(fake_world, serve, detector_for):
    """Arming mid-pass without the TRIG_OUT_2 start trigger rotates the vector: the first
    sample is the pattern whose exposure ends next (here pattern 2, ending at 3.5 ms)."""
    h = serve(fake_world)
    det = detector_for(h, fake_world, use_start_trigger=False)
    fake_world.clock.advance_to(0.0031)
    det.arm(request_for(16))
    np.testing.assert_array_equal(det.read().samples_v, np.roll(VOLTS, -2))
    assert "CfgDigEdgeStartTrig" not in h.servicer.calls
