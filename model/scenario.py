"""A scenario: the layers a situation is computed over, each with its source,
last update and DEMO flag (loaded by ``data_sources.scenario``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .schema import ReadResult


@dataclass
class Layer:
    name: str
    source: str
    updated: pd.Timestamp | None  # None for static reference data
    demo: bool
    result: ReadResult
    # The layer this one replaced (an added raster replaces the loaded one of its
    # variable): shown instead to viewers who may not see this one.
    replaced: Layer | None = None

    @property
    def data(self):
        return self.result.data


@dataclass
class Scenario:
    name: str
    as_of: pd.Timestamp
    demo: bool
    layers: dict[str, Layer] = field(default_factory=dict)
    tlp: str = "TLP:CLEAR"  # the marking of the data as a whole

    def __getitem__(self, name: str):
        return self.layers[name].data

    def sources(self) -> pd.DataFrame:
        """One row per layer: records (or raster shape), rejected, source, update, DEMO."""
        rows = []
        for layer in self.layers.values():
            data = layer.data
            size = (" x ".join(map(str, data.shape)) if layer.result.kind == "raster"
                    else str(len(data)))
            rows.append({"layer": layer.name, "kind": layer.result.kind,
                         "format": layer.result.format, "records": size,
                         "rejected": layer.result.rejected, "source": layer.source,
                         "updated": layer.updated, "demo": layer.demo})
        return pd.DataFrame(rows)
