"""The bottom layer: types every other layer passes around (errors, flags, records, timing,
clocks, strict config models). Nothing here imports another ``lsi_rig`` package."""
