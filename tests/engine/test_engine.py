from __future__ import annotations

import numpy as np

from lsi_rig.core.flags import RecordFlags
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.engine import AcquisitionEngine, CapturePlan, Progress
from lsi_rig.masks import MaskSet
from lsi_rig.scenes import Scene
from lsi_rig.scenes.source import InMemoryScenes

from .fakes import mock_rig


class ListSink:
    def __init__(self) -> None:
        self.records: list[MeasurementRecord] = []

    def append(self, record: MeasurementRecord) -> int:
        self.records.append(record)
        return len(self.records) - 1


def _plan(n_scenes: int = 3, **kw: object) -> CapturePlan:
    scenes = [Scene(f"s{i}", np.full((8, 8, 3), i * 10, dtype=np.uint8)) for i in range(n_scenes)]
    masks = MaskSet(np.random.default_rng(1).random((5, 4, 4)) > 0.5, "m", "test")
    return CapturePlan(scenes=InMemoryScenes(scenes), masks=masks, reference_every=None, **kw)


def test_records_per_scene_and_repeat_with_settle_wait() -> None:
    rig, display, dmd, _ = mock_rig()
    sink = ListSink()
    summary = AcquisitionEngine(rig).run(_plan(3, repeats=2), sink)
    assert summary.records_written == 6 and not summary.stopped
    assert [(r.scene_index, r.repeat_index) for r in sink.records] == [
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
        (2, 0),
        (2, 1),
    ]
    assert len(display.shown) == 3
    assert [c for c in dmd.calls if c != "status"] == ["load", "start", "stop"]
    assert dmd.calls.count("status") == 2  # health: after the first record and at the end
    # the sample of mask i of the first record is i + 1000 * scenes shown + passes so far
    np.testing.assert_allclose(sink.records[0].raw_v, np.arange(5) + 1000.0)
    np.testing.assert_allclose(sink.records[3].raw_v, np.arange(5) + 2000.0 + 3)
    # settle: 3 scenes x 50 ms + 6 passes x 5 x 250 µs on the simulated clock
    assert (
        rig.clock.now_s() == np.float64(3 * 0.05 + 6 * 5 * 250e-6).item()
        or abs(rig.clock.now_s() - (3 * 0.05 + 6 * 5 * 250e-6)) < 1e-12
    )


def test_averages_are_means_of_passes() -> None:
    rig, *_ = mock_rig()
    sink = ListSink()
    AcquisitionEngine(rig).run(_plan(1, averages=4), sink)
    record = sink.records[0]
    assert record.n_averaged == 4
    np.testing.assert_allclose(record.raw_v, np.arange(5) + 1000.0 + 1.5)  # passes 0..3


def test_cooperative_stop_ends_within_one_pass() -> None:
    rig, _, dmd, detector = mock_rig()
    sink = ListSink()
    engine = AcquisitionEngine(rig)

    def stop_after_three(det: object) -> None:
        if detector.passes == 3:
            engine.stop()

    detector.on_read = stop_after_three
    summary = engine.run(_plan(4, repeats=3), sink)
    assert summary.stopped and summary.records_written == 3
    assert detector.passes == 3
    assert dmd.calls[-1] == "stop"


def test_edge_accounting_and_detector_flags_reach_the_record() -> None:
    rig, _, _, detector = mock_rig()
    detector.edges_offset = -1
    detector.flags = RecordFlags.SATURATED
    sink = ListSink()
    summary = AcquisitionEngine(rig).run(_plan(1), sink)
    flags = sink.records[0].flags
    assert flags & RecordFlags.MISSING_EDGES and flags & RecordFlags.SATURATED
    assert summary.flag_counts == {"SATURATED": 1, "MISSING_EDGES": 1}
    detector.edges_offset = 2
    AcquisitionEngine(rig).run(_plan(1), sink)
    assert sink.records[-1].flags & RecordFlags.EXTRA_EDGES


def test_progress_events_count_up_with_eta() -> None:
    rig, *_ = mock_rig()
    events: list[Progress] = []
    AcquisitionEngine(rig, on_progress=events.append).run(_plan(2, repeats=2), ListSink())
    assert [e.records_done for e in events] == [0, 1, 2, 3, 4]
    assert events[0].eta_s is None and events[-1].eta_s == 0.0
    assert all(e.records_total == 4 for e in events)
