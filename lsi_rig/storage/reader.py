"""The :class:`SessionReader`: reads a session file, finished or still being written.

A file a writer holds open (or held when it died) is opened in SWMR-read mode, so a reader can
follow a running capture (``refresh()``) and open a file whose writer was killed; a finished
file is opened normally. Opening never blocks and never trusts a declared size
(:mod:`lsi_rig.storage.opening`, :mod:`lsi_rig.storage.validate`). Only rows
``[0, n_records)`` are exposed, where ``n_records`` is the committed-record counter: the writer
writes it after the rows.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from lsi_rig.core.calibration import CalibrationSnapshot
from lsi_rig.core.errors import SessionError
from lsi_rig.core.flags import RecordFlags
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.scenes.scene import SceneInfo
from lsi_rig.storage import layout as L
from lsi_rig.storage.calibration import read_calibration
from lsi_rig.storage.liveness import STALE_AFTER_S, WriterIdentity, writer_alive
from lsi_rig.storage.opening import open_file, plain, truncated_error
from lsi_rig.storage.opening import reads_guard as _reads
from lsi_rig.storage.validate import StoredShape, check_count, check_structure
from lsi_rig.storage.values import read_mapping, read_text, read_value

logger = logging.getLogger(__name__)


class SessionReader:
    """Read access to one session file (see ``docs/session-format.md``)."""

    def __init__(self, path: str | Path, *, stale_after_s: float = STALE_AFTER_S) -> None:
        self.path = Path(path).expanduser().absolute()
        self.stale_after_s = stale_after_s
        self._file, self._swmr, self._superblock = open_file(self.path)
        try:
            self._load_static()
            self._check_size()
            self.refresh()
        except (SessionError, KeyError, OSError, ValueError, TypeError, RuntimeError) as exc:
            self._file.close()
            if self._superblock.truncated:  # whatever broke, the missing bytes are the cause
                raise truncated_error(self.path, self._superblock) from None
            if isinstance(exc, SessionError):
                raise
            raise SessionError(
                f"session file {self.path} is corrupt or incomplete ({exc}); restore it from a copy"
            ) from None

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
        self.shape: StoredShape = check_structure(f, self.path, self._superblock.size)
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
        self._calibration = read_calibration(f, plain(f.attrs.get("rig_name", "")))
        cal = self._calibration
        if cal is not None and cal.content_sha256() != cal.sha256:
            raise SessionError(
                f"session file {self.path}: the calibration snapshot is damaged (its content does "
                f"not match its hash {cal.sha256[:12]}); restore the file from a copy"
            )
        self._names = [n for n in (*L.VECTOR_DATASETS, L.TRACE, L.CALIBRATED) if n in f[L.RECORDS]]
        self._positions = self.shape.positions
        self._scene_ids = f[L.SCENES]["scene_id"].asstr()[:].tolist()

    def _check_size(self) -> None:
        """A SWMR reader skips HDF5's end-of-file check (a live file grows) and reads past the
        end as zeros, so the file must be as long as its superblock says, unless its writer is
        alive and still extending it (never seen in practice: HDF5 writes the end-of-file
        address after the bytes). A killed writer's file is complete on disk (the kernel keeps
        what was written), so a short one is a truncated copy."""
        sb = self._superblock
        if not sb.truncated:
            return
        if self.stored_status == L.RunStatus.RUNNING.value and self.writer_alive:
            logger.debug("session file %s: %d of %d bytes so far", self.path, sb.size, sb.eof)
            return
        raise truncated_error(self.path, sb)

    # -- live state ----------------------------------------------------------------------------

    @_reads
    def refresh(self) -> int:
        """Re-read the committed-record count (and the extents) of a file being written.

        The counter is read before the extents are refreshed: the writer grows the datasets
        and flushes them before it writes the counter, so extents read afterwards cover it."""
        f = self._file
        if self._swmr:
            f[L.RUN_N_RECORDS].refresh()
        n = int(f[L.RUN_N_RECORDS][()])
        if self._swmr:
            for name in ("table", *self._names):
                f[L.RECORDS][name].refresh()
        extent = min(f[L.RECORDS][name].shape[0] for name in ("table", *self._names))
        size = self.path.stat().st_size if self._swmr else self._superblock.size
        if self._swmr and n > extent and self.writer_alive:
            n = extent  # a live writer's metadata not yet seen in full: the next refresh will
        self.n_records = check_count(
            self.path, n, extent, self.shape.row_bytes, size, "/run/n_records"
        )
        return self.n_records

    def _state(self, path: str) -> Any:
        ds = self._file[path]
        if self._swmr:
            ds.refresh()
        return ds[()]

    @property
    def writer_identity(self) -> WriterIdentity:
        """Who wrote (or writes) the file: host, pid, boot id, process start time."""
        return self._identity

    @property
    def writer_alive(self) -> bool:
        heartbeat = int(self._state(L.RUN_HEARTBEAT_NS))
        return writer_alive(self._identity, heartbeat, stale_after_s=self.stale_after_s)

    @property
    def stored_status(self) -> str:
        """``/run/status`` as written (``running`` even when the writer died)."""
        return str(plain(self._state(L.RUN_STATUS)))

    @property
    def status(self) -> L.RunStatus:
        """Stored status, except that "running" with a dead writer reads INTERRUPTED."""
        raw = self.stored_status
        try:
            stored = L.RunStatus(raw)
        except ValueError:
            raise SessionError(f"session file {self.path}: unknown run status {raw!r}") from None
        if stored is L.RunStatus.RUNNING and not self.writer_alive:
            return L.RunStatus.INTERRUPTED
        return stored

    @property
    def needs_recovery(self) -> bool:
        """The writer died with the file open: HDF5 still marks it as being written, so plain
        HDF5 tools refuse it until ``lsi-rig recover`` (:func:`recover_session`) finishes it."""
        return self._swmr and not self.writer_alive

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

    @property
    def mask_sha256(self) -> str:
        """Content hash of the stored mask set (verified against the bits on open)."""
        return self.shape.mask_sha256

    @_reads
    def masks(self) -> MaskSet:
        """The mask set, rebuilt from the stored bits (their hash was verified on open)."""
        g = self._file[L.MASKS]
        a = {k: plain(v) for k, v in g.attrs.items()}
        n, h, w = self.shape.n_masks, self.shape.height, self.shape.width
        packed = g["bits_packed"][()]
        bits = np.unpackbits(packed, axis=1, count=h * w, bitorder="little").reshape(n, h, w)
        meta = json.loads(read_text(g["metadata_json"]))
        masks = MaskSet(bits.astype(bool), a["name"], a["source"], bool(a["complementary"]), meta)
        if masks.sha256 != self.shape.mask_sha256:
            raise SessionError(f"session file {self.path}: the masks are damaged; restore it")
        return masks

    @_reads
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

    @_reads
    def scenes(self) -> list[SceneInfo]:
        """Every scene of the plan: id, path, content sha256, height, width."""
        g = self._file[L.SCENES]
        cols = [g[c].asstr()[:].tolist() for c in ("scene_id", "path", "sha256")]
        hw = [g[c][()].tolist() for c in ("height", "width")]
        return [SceneInfo(*row) for row in zip(*cols, *hw, strict=True)]

    def calibration(self) -> CalibrationSnapshot | None:
        """The calibration the session was captured with (hash verified on open), or None."""
        return self._calibration

    @property
    def calibration_sha256(self) -> str | None:
        return None if self._calibration is None else self._calibration.sha256

    @property
    def has_calibrated(self) -> bool:
        """The session stores calibrated vectors (``vectors("calibrated")``)."""
        return L.CALIBRATED in self._names

    # -- records -------------------------------------------------------------------------------

    def _rows(self, name: str, sel: slice | int | None = None) -> np.ndarray:
        ds = self._file[L.RECORDS][name]
        return ds[: self.n_records] if sel is None else ds[sel]

    @_reads
    def vectors(self, kind: str = "offset_corrected") -> np.ndarray:
        """``[N, width]`` float32: "raw" (raw_v), "offset_corrected" (vector_v), "samples",
        "calibrated" (calibrated_v; only sessions captured with a calibration)."""
        if kind not in L.VECTOR_KINDS:
            raise ValueError(f"vector kind {kind!r}: choose one of {sorted(L.VECTOR_KINDS)}")
        name = L.VECTOR_KINDS[kind]
        if name == L.CALIBRATED and not self.has_calibrated:
            raise SessionError(
                f"session file {self.path} has no calibrated vectors (captured without a "
                "calibration); use the raw or offset_corrected vectors"
            )
        if name in L.DERIVED_VECTORS:
            return self._rows("samples_v")[:, self._positions.field(name)]
        return self._rows(name)

    @_reads
    def records_table(self) -> np.ndarray:
        return self._rows("table")

    def scene_ids(self) -> list[str]:
        index = self.records_table()["scene_index"]
        ids = self._scene_ids
        return [ids[i] if 0 <= i < len(ids) else "" for i in index.tolist()]

    @_reads
    def record(self, i: int) -> MeasurementRecord:
        n = self.n_records
        if not -n <= i < n:
            raise IndexError(f"record {i} out of range: {self.path.name} has {n} records")
        i %= n
        row = self._rows("table", i)
        trace = self._rows(L.TRACE, i) if L.TRACE in self._names else None
        calibrated = self._rows(L.CALIBRATED, i) if self.has_calibrated else None
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
            calibrated_v=calibrated,
        )

    @_reads
    def log_lines(self) -> list[str]:
        n = int(self._state(L.LOG_N_BYTES))
        ds = self._file[L.LOG_BYTES]
        if self._swmr:
            ds.refresh()
        size = self.path.stat().st_size
        n = check_count(self.path, n, int(ds.shape[0]), 1, size, "/log/n_bytes")
        return ds[:n].tobytes().decode("utf-8", errors="replace").splitlines()

    # -- overview ------------------------------------------------------------------------------

    @_reads
    def summary(self) -> dict[str, Any]:
        """JSON-able overview (``lsi-rig inspect --json``)."""
        from lsi_rig.storage.summary import summarize

        return summarize(self)

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
