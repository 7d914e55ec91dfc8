"""Reading real formats and feeds into validated, canonical tables and arrays.

See ``data_sources.schema`` for the data model and ``data_sources.detect.read_any``
for the entry point that recognises a file and reads it.
"""
