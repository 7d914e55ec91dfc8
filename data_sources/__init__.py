"""Reading real formats and feeds into validated, canonical tables and arrays.

See ``data_sources.schema`` for the data model and ``data_sources.detect.read_any``
for the entry point that recognises a file and reads it.
"""

import os

# GDAL keeps up to 5% of RAM of raster blocks by default; rasters here are read
# once, block by block, so a bounded cache keeps large rasters in bounded memory.
# Set GDAL_CACHEMAX (MB) to change it.
os.environ.setdefault("GDAL_CACHEMAX", "256")
