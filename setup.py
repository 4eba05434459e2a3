"""The extras of updater, which pyproject.toml cannot hold statically.

`demo` is the test world: the distribution updater-sandbox in sandbox/ of this repository (the
local forge, upstreams, fixture NUR and nixpkgs, `updater demo`'s composition; graphql-core is
its dependency). A requirement on a local directory must be a direct reference with an absolute
file:// URL, so it is written here, when the package is built from its checkout. The other
extras come from [tool.updater.extras] of pyproject.toml; `test` includes `demo`.
"""

import tomllib
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["updater"][
    "extras"
]
demo = [f"updater-sandbox @ {(ROOT / 'sandbox').as_uri()}"]
setup(extras_require={**extras, "demo": demo, "test": [*extras["test"], *demo]})
