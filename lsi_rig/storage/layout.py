"""Names, dtypes and sizes of the session file layout (schema version 1).

One place for every path inside the file, so writer, reader and ``docs/session-format.md`` agree.
Mutable run state lives in small fixed datasets under ``/run`` because SWMR forbids creating
objects (and reliably changing attributes) once the writer has switched to SWMR mode.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

FORMAT_NAME = "lsi-rig session"
SCHEMA_VERSION = 1
#: HDF5 format bounds: the 1.10 object formats (the oldest that support SWMR), so any HDF5 >= 1.10
#: tool reads the files (a "latest" lower bound writes 1.12+ compound types that h5ls 1.10 and
#: HDFView builds on 1.10 cannot decode).
LIBVER = ("v110", "latest")


class RunStatus(StrEnum):
    """State of the run a file records. ``RUNNING`` is trusted only while the writer is alive."""

    RUNNING = "running"
    COMPLETE = "complete"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


# /run: mutable state, created up front, updated in place under SWMR
RUN = "run"
RUN_STATUS = "run/status"  # S16 scalar
RUN_FINISHED_UTC = "run/finished_utc"  # S32 scalar, "" while running
RUN_N_RECORDS = "run/n_records"  # int64 scalar: committed-record counter
RUN_HEARTBEAT_NS = "run/heartbeat_ns"  # int64 scalar: writer's last sign of life (UTC ns)

# /log: append-only UTF-8 text
LOG = "log"
LOG_BYTES = "log/bytes"  # uint8 [capacity]
LOG_N_BYTES = "log/n_bytes"  # int64 scalar: committed byte count

# /config: what the rig was
CONFIG = "config"
CONFIG_RIG_YAML = "config/rig_config_yaml"
CONFIG_DEVICES = "config/devices"  # one JSON text dataset per device kind
CONFIG_EXTRA = "config/extra"  # one dataset per extra key (array or JSON text)

# /masks
MASKS = "masks"
MASK_BITS = "masks/bits_packed"  # uint8 [n, ceil(H*W/8)], packbits little-endian bit order
MASK_FILL = "masks/fill_factor"  # float64 [n]
MASK_METADATA = "masks/metadata_json"  # JSON text

# /sequence
SEQUENCE = "sequence"
SEQ_KINDS = "sequence/kinds"  # int8 [P] PatternKind codes
SEQ_MASK_INDEX = "sequence/mask_index"  # int32 [P], -1 for references
SEQ_EXPOSURE_US = "sequence/exposure_us"  # float64 [P]
SEQ_PERIOD_US = "sequence/period_us"  # float64 [P]
SEQ_BITPLANE_MAP = "sequence/bitplane_map"  # optional: array or JSON text
BITPLANE_MAP_KEY = "bitplane_map"  # the key in SessionMetadata.extra

# /scenes: one row per scene of the plan
SCENES = "scenes"
SCENE_COLUMNS = ("scene_id", "path", "sha256", "height", "width")

CALIBRATION = "calibration"

# /records: per-record data, rows [0, n_records) are valid
RECORDS = "records"
RECORD_TABLE = "records/table"
VECTOR_DATASETS = ("samples_v", "vector_v")  # stored per record
#: Record fields that are views of ``samples_v`` through the sequence table (not stored twice:
#: raw_v = samples_v[mask positions in mask order], dark_v / bright_v = the reference samples).
DERIVED_VECTORS = ("raw_v", "dark_v", "bright_v")
TRACE = "trace_v"
#: Optional: the vectors through the session's calibration, float32 [N, n] (mask order); present
#: exactly when /calibration holds a snapshot.
CALIBRATED = "calibrated_v"

RECORD_DTYPE = np.dtype(
    [
        ("scene_index", "<i4"),
        ("repeat_index", "<i4"),
        ("t_start_ns", "<i8"),
        ("t_end_ns", "<i8"),
        ("exposure_us", "<f8"),
        ("period_us", "<f8"),
        ("gain_db", "<f8"),
        ("range_v", "<f8"),
        ("n_averaged", "<i4"),
        ("flags", "<u4"),
    ]
)
VECTOR_DTYPE = np.dtype("<f4")
STATUS_DTYPE = np.dtype("S16")
TIME_DTYPE = np.dtype("S32")

BLOCK_ROWS = 1024  # record datasets grow by this many rows at a time
LOG_BLOCK_BYTES = 65536
CHUNK_BYTES = 16384  # small chunks: every per-record flush rewrites the dirty chunks

VECTOR_KINDS = {
    "raw": "raw_v",
    "offset_corrected": "vector_v",
    "samples": "samples_v",
    "calibrated": CALIBRATED,
}


def chunk_rows(row_nbytes: int) -> int:
    """Rows per chunk so a chunk is about ``CHUNK_BYTES`` (bounded to [1, 256])."""
    return int(max(1, min(256, CHUNK_BYTES // max(1, row_nbytes))))


def capacity_for(n_rows: int) -> int:
    """Allocated rows for ``n_rows`` records: the next multiple of ``BLOCK_ROWS``."""
    return -(-n_rows // BLOCK_ROWS) * BLOCK_ROWS
