"""The :class:`SessionReader`: reads a session file, finished or still being written.

The file is opened in SWMR-read mode so a reader can follow a running capture (``refresh()``)
and can open a file whose writer was killed. Only rows ``[0, n_records)`` are exposed, where
``n_records`` is the committed-record counter: the writer writes it after the rows.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from lsi_rig.core.errors import SessionError
from lsi_rig.core.flags import RecordFlags
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.masks.maskset import MaskSet, maskset_sha256
from lsi_rig.scenes.scene import SceneInfo
from lsi_rig.storage import layout as L
from lsi_rig.storage.liveness import STALE_AFTER_S, WriterIdentity, writer_alive
from lsi_rig.storage.metadata import SamplePositions
from lsi_rig.storage.opening import open_file, plain
from lsi_rig.storage.values import read_mapping, read_text, read_value

logger = logging.getLogger(__name__)

REQUIRED = (
    L.RUN_STATUS, L.RUN_FINISHED_UTC, L.RUN_N_RECORDS, L.RUN_HEARTBEAT_NS, L.LOG_BYTES,
    L.LOG_N_BYTES, L.CONFIG_RIG_YAML, L.CONFIG_DEVICES, L.MASK_BITS, L.SEQ_KINDS,
    L.SEQ_MASK_INDEX, L.SEQ_EXPOSURE_US, L.SEQ_PERIOD_US, L.SCENES, L.CALIBRATION,
    L.RECORD_TABLE, *(f"{L.RECORDS}/{name}" for name in L.VECTOR_DATASETS),
)  # fmt: skip


class SessionReader:
    """Read access to one session file (see ``docs/session-format.md``)."""

    def __init__(self, path: str | Path, *, stale_after_s: float = STALE_AFTER_S) -> None:
        self.path = Path(path).expanduser().absolute()
        self.stale_after_s = stale_after_s
        self._file, self._swmr = open_file(self.path)
        try:
            self._load_static()
            self._check_size()
            self.refresh()
        except SessionError:
            self._file.close()
            raise
        except (KeyError, OSError, ValueError, TypeError) as exc:
            self._file.close()
            raise SessionError(
                f"session file {self.path} is corrupt or incomplete ({exc}); restore it from a copy"
            ) from exc

    def _load_static(self) -> None:
        f = self._file
        if plain(f.attrs.get("format")) != L.FORMAT_NAME:
            raise SessionError(
                f"{self.path} is an HDF5 file but not an lsi-rig session (no format attribute "
                f"{L.FORMAT_NAME!r}); open it with h5py directly"
            )
        version = int(f.attrs.get("schema_version", -1))
        if version > L.SCHEMA_VERSION:
            raise SessionError(
                f"session file {self.path} uses schema version {version} "
                f"(written by lsi-rig {plain(f.attrs.get('software_version'))}); this lsi-rig "
                f"reads up to version {L.SCHEMA_VERSION}: upgrade lsi-rig"
            )
        missing = [name for name in REQUIRED if name not in f]
        if missing:
            raise SessionError(
                f"session file {self.path} is corrupt or incomplete: missing /{missing[0]}"
                f"{f' and {len(missing) - 1} more' if len(missing) > 1 else ''}; "
                "restore it from a copy"
            )
        run = f[L.RUN].attrs
        self._identity = WriterIdentity(
            host=plain(run["writer_host"]),
            pid=int(run["writer_pid"]),
            boot_id=plain(run["writer_boot_id"]),
            start_ticks=int(run["writer_start_ticks"]),
        )
        self.rig_config_yaml: str = read_text(f[L.CONFIG_RIG_YAML])
        devices = f[L.CONFIG_DEVICES]
        self.devices: dict[str, Any] = {k: json.loads(read_text(devices[k])) for k in devices}
        cal = f[L.CALIBRATION]
        self.calibration: dict[str, Any] | None = (
            None if plain(cal.attrs.get("status")) == "none" else read_mapping(cal)
        )
        self._names = [n for n in (*L.VECTOR_DATASETS, L.TRACE) if n in f[L.RECORDS]]
        seq = f[L.SEQUENCE]
        self._positions = SamplePositions.of(
            seq["kinds"][()], seq["mask_index"][()], int(f[L.MASK_BITS].shape[0])
        )
        self._scene_ids = f[L.SCENES]["scene_id"].asstr()[:].tolist()

    def _check_size(self) -> None:
        """A SWMR reader skips HDF5's end-of-file check (a live file grows) and reads past the
        end as zeros, so a closed file must be as long as its superblock says. A killed
        writer's file is only warned about: its last allocation may not have reached disk."""
        stored = self._file.id.get_filesize()
        actual = self.path.stat().st_size
        if stored <= actual:
            return
        closed = plain(self._state(L.RUN_STATUS)) != L.RunStatus.RUNNING.value
        if closed:
            raise SessionError(
                f"session file {self.path} is truncated ({actual} of {stored} bytes); "
                "copy it again from the original"
            )
        if self.status is not L.RunStatus.RUNNING:
            logger.warning(
                "session file %s: %d of %d bytes present (writer died mid-write)",
                self.path,
                actual,
                stored,
            )

    # -- live state ----------------------------------------------------------------------------

    def refresh(self) -> int:
        """Re-read the committed-record count (and the extents) of a file being written."""
        f = self._file
        if self._swmr:
            f[L.RUN_N_RECORDS].refresh()
            for name in ("table", *self._names):
                f[L.RECORDS][name].refresh()
        n = int(f[L.RUN_N_RECORDS][()])
        extent = min(f[L.RECORDS][name].shape[0] for name in ("table", *self._names))
        self.n_records = min(n, extent)
        return self.n_records

    def _state(self, path: str) -> Any:
        ds = self._file[path]
        if self._swmr:
            ds.refresh()
        return ds[()]

    @property
    def status(self) -> L.RunStatus:
        """Stored status, except that "running" with a dead writer reads INTERRUPTED."""
        raw = plain(self._state(L.RUN_STATUS))
        try:
            stored = L.RunStatus(raw)
        except ValueError:
            raise SessionError(f"session file {self.path}: unknown run status {raw!r}") from None
        if stored is L.RunStatus.RUNNING:
            heartbeat = int(self._state(L.RUN_HEARTBEAT_NS))
            if not writer_alive(self._identity, heartbeat, stale_after_s=self.stale_after_s):
                return L.RunStatus.INTERRUPTED
        return stored

    @property
    def attrs(self) -> dict[str, Any]:
        """Root attributes, plus the live state from /run (authoritative while running)."""
        out = {k: plain(v) for k, v in self._file.attrs.items()}
        out.update({k: plain(v) for k, v in self._file[L.RUN].attrs.items()})
        out["status"] = self.status.value
        out["finished_utc"] = plain(self._state(L.RUN_FINISHED_UTC))
        out["n_records"] = self.n_records
        return out

    # -- static content ------------------------------------------------------------------------

    def masks(self) -> MaskSet:
        """The mask set, rebuilt from the stored bits; the stored hash must match."""
        g = self._file[L.MASKS]
        a = {k: plain(v) for k, v in g.attrs.items()}
        n, h, w = int(a["n"]), int(a["height"]), int(a["width"])
        packed = g["bits_packed"][()]
        bits = np.unpackbits(packed, axis=1, count=h * w, bitorder="little").reshape(n, h, w)
        digest = maskset_sha256(bits.astype(bool))
        if digest != a["sha256"]:
            raise SessionError(
                f"session file {self.path}: mask bits do not match the stored hash "
                f"({digest[:12]} != {str(a['sha256'])[:12]}); the file is corrupt"
            )
        meta = json.loads(read_text(g["metadata_json"]))
        return MaskSet(bits.astype(bool), a["name"], a["source"], bool(a["complementary"]), meta)

    def sequence_table(self) -> dict[str, np.ndarray]:
        g = self._file[L.SEQUENCE]
        return {k: g[k][()] for k in ("kinds", "mask_index", "exposure_us", "period_us")}

    def sequence(self) -> PatternSequence:
        t = self.sequence_table()
        return PatternSequence(
            self.masks(),
            t["kinds"],
            t["mask_index"],
            float(t["exposure_us"][0]),
            float(t["period_us"][0]),
        )

    @property
    def extra(self) -> dict[str, Any]:
        out = read_mapping(self._file[L.CONFIG_EXTRA])
        if L.SEQ_BITPLANE_MAP in self._file:
            out[L.BITPLANE_MAP_KEY] = read_value(self._file[L.SEQ_BITPLANE_MAP])
        return out

    def scenes(self) -> list[SceneInfo]:
        g = self._file[L.SCENES]
        cols = [g[c].asstr()[:].tolist() for c in ("scene_id", "path", "sha256")]
        hw = [g[c][()].tolist() for c in ("height", "width")]
        return [SceneInfo(*row) for row in zip(*cols, *hw, strict=True)]

    # -- records -------------------------------------------------------------------------------

    def _rows(self, name: str, sel: slice | int | None = None) -> np.ndarray:
        ds = self._file[L.RECORDS][name]
        return ds[: self.n_records] if sel is None else ds[sel]

    def vectors(self, kind: str = "offset_corrected") -> np.ndarray:
        """``[N, width]`` float32: "raw" (raw_v), "offset_corrected" (vector_v), "samples"."""
        if kind not in L.VECTOR_KINDS:
            raise ValueError(f"vector kind {kind!r}: choose one of {sorted(L.VECTOR_KINDS)}")
        name = L.VECTOR_KINDS[kind]
        if name in L.DERIVED_VECTORS:
            return self._rows("samples_v")[:, self._positions.field(name)]
        return self._rows(name)

    def records_table(self) -> np.ndarray:
        return self._rows("table")

    def scene_ids(self) -> list[str]:
        index = self.records_table()["scene_index"]
        return [self._scene_ids[i] if i >= 0 else "" for i in index.tolist()]

    def record(self, i: int) -> MeasurementRecord:

        n = self.n_records
        if not -n <= i < n:
            raise IndexError(f"record {i} out of range: {self.path.name} has {n} records")
        i %= n
        row = self._rows("table", i)
        trace = self._rows(L.TRACE, i) if L.TRACE in self._names else None
        samples = self._rows("samples_v", i)
        pos = self._positions
        return MeasurementRecord(
            scene_index=int(row["scene_index"]),
            repeat_index=int(row["repeat_index"]),
            t_start_ns=int(row["t_start_ns"]),
            t_end_ns=int(row["t_end_ns"]),
            samples_v=samples,
            raw_v=samples[pos.mask],
            vector_v=self._rows("vector_v", i),
            dark_v=samples[pos.dark],
            bright_v=samples[pos.bright],
            exposure_us=float(row["exposure_us"]),
            period_us=float(row["period_us"]),
            gain_db=float(row["gain_db"]),
            range_v=float(row["range_v"]),
            n_averaged=int(row["n_averaged"]),
            flags=RecordFlags(int(row["flags"])),
            trace_v=trace,
        )

    def log_lines(self) -> list[str]:
        n = int(self._state(L.LOG_N_BYTES))
        ds = self._file[L.LOG_BYTES]
        if self._swmr:
            ds.refresh()
        return ds[:n].tobytes().decode("utf-8", errors="replace").splitlines()

    # -- overview ------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """JSON-able overview (``lsi-rig inspect --json``)."""
        m = self._file[L.MASKS].attrs
        seq = self.sequence_table()
        table = self.records_table()
        flags = table["flags"]
        counts = {f.name: int(np.count_nonzero(flags & int(f))) for f in RecordFlags if f.value}
        trace = self._file[L.RECORDS].get(L.TRACE)
        return {
            "path": str(self.path),
            **{k: v for k, v in self.attrs.items() if not k.startswith("writer_")},
            "masks": {k: plain(m[k]) for k in ("name", "source", "n", "height", "width")}
            | {"complementary": bool(m["complementary"]), "sha256": plain(m["sha256"])},
            "sequence": {
                "n_patterns": int(seq["kinds"].shape[0]),
                "exposure_us": float(seq["exposure_us"][0]) if seq["kinds"].size else None,
                "period_us": float(seq["period_us"][0]) if seq["kinds"].size else None,
            },
            "scenes": {
                "count": len(self._scene_ids),
                "measured": len(set(table["scene_index"][table["scene_index"] >= 0].tolist())),
            },
            "devices": sorted(self.devices),
            "calibration": "none" if self.calibration is None else "snapshot",
            "trace_shape": list(trace.shape[1:]) if trace is not None else None,
            "flag_counts": {k: v for k, v in counts.items() if v},
            "log_lines": len(self.log_lines()),
        }

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> SessionReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SessionReader({str(self.path)!r}, {self.n_records} records)"


def open_session(path: str | Path, *, stale_after_s: float = STALE_AFTER_S) -> SessionReader:
    """Open a session file for reading (also while it is being written)."""
    return SessionReader(path, stale_after_s=stale_after_s)
