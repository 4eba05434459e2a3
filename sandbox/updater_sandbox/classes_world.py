"""A world of its own for the classes of repository where version choice goes wrong (issue 12).

Its upstreams and its NUR are apart from the shared fixture NUR (whose packages other tests
count): drafts (shown, and hidden as GitHub hides them from readers without push access), PEP
440 prereleases published as releases, a Latest release behind a hundred LTS backports, build
tags crowding the first pages (GitHub, Forgejo, GitLab), monorepos (prefix read off the pin on
GitHub and tangled, an explicit prefix and regex), a move from date tags to semver (GitHub and
plain git), a prerelease channel whose release comes out, and a commit pin.

    with ClassesWorld(tmp_path) as w:
        subprocess.run([..., "--repo", str(w.nur_path), "--config", str(config)], ...)

The NUR is written once the upstreams exist, so its pins carry real revisions and hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from updater_sandbox.forge import LocalForge
from updater_sandbox.spec import Kind, Project, Step, UpstreamSpec
from updater_sandbox.upstreams import Upstream
from updater_sandbox.world import World


def _tag(version: str, tag: str | None = None, **kw: object) -> Step:
    return Step(version, tag=tag if tag is not None else f"v{version}", **kw)  # type: ignore[arg-type]


def _bare(version: str, tag: str | None = None) -> Step:
    return _tag(version, tag, release=False)


def _spec(key: str, host: str, owner: str, repo: str, history: tuple[Step, ...]) -> UpstreamSpec:
    return UpstreamSpec(
        key=key,
        host=host,
        owner=owner,
        repo=repo,
        projects=(Project(repo, Kind.PLAIN),),
        history=history,
        offset=len(key) * 60,
    )


_DRAFTS = (_tag("3.1.0"), _tag("3.2.0"), _tag("3.3.0", draft=True))
_PEP440 = tuple(
    _tag(v, v) for v in ("4.1.0", "4.1.1", "4.2.0.dev0", "4.2.0a1", "4.2.0b2", "4.2.0rc1")
)
# Latest is 2.5.0, then a hundred and ten LTS backports, published later, never Latest.
_LTS = (
    _tag("2.4.0"),
    _tag("2.5.0", latest=True, body="Long-term line 2.5: faster looms."),
    *(_tag(f"1.9.{n}", latest=False) for n in range(110)),
)


def _crowd(noise: int) -> tuple[Step, ...]:
    """v1.7.0 and v1.8.0, then `noise` build tags newer by date and by name."""
    return (
        _bare("1.7.0"),
        _bare("1.8.0"),
        *(_bare("1.8.0", f"wasm-0.1.{n}") for n in range(noise)),
    )


_TEXTILE = tuple(
    _tag(v, f"{name}-{v}")
    for name, v in (
        ("loom", "1.3.0"),
        ("spindle", "2.0.0"),
        ("shuttle", "5.0.0"),
        ("loom", "1.4.0"),
        ("spindle", "2.1.0"),
        ("shuttle", "5.1.0"),
    )
)
_WEAVE = (_tag("2.0.0"), _tag("2.1.0", "shuttle-v2.1.0"), _tag("9.0.0", "spindle-v9.0.0"))
_WARP = (
    _tag("1.0.0", "warp-1.0.0-final"),
    _tag("1.1.0", "warp-1.1.0-final"),
    _tag("3.0.0", "weft-3.0.0-final"),
)
_DATED = (
    _bare("20230101", "20230101"),
    _bare("20231102", "20231102"),
    *(_tag(v, v) for v in ("1.0.0", "1.1.0", "1.2.0")),
)
_CHANNEL = (_bare("1.4.0-alpha"), _bare("1.5.0-alpha"), _bare("1.5.0"))
_TIP = (
    _tag("0.1.0"),
    Step("0.1.0", message="tip: faster start", release=False),
    Step("0.1.0", message="tip: smaller output", release=False),
)

GH = "github.com"
SPECS: tuple[UpstreamSpec, ...] = (
    _spec("drafty", GH, "draft-example", "drafty", _DRAFTS),
    _spec("hidden", GH, "draft-example", "hidden", _DRAFTS),
    _spec("pepper", GH, "pep-example", "pepper", _PEP440),
    _spec("longterm", GH, "lts-example", "longterm", _LTS),
    _spec("crowd", GH, "wasm-example", "crowd", _crowd(40)),
    # more build tags than GitHub's first page of tags holds: the next release is on page two
    _spec("throng", GH, "wasm-example", "throng", _crowd(150)),
    _spec("throngberg", "codeberg.org", "wasm-example", "throngberg", _crowd(60)),
    _spec("thronglab", "gitlab.com", "wasm-example", "thronglab", _crowd(110)),
    _spec("crowdberg", "codeberg.org", "wasm-example", "crowdberg", _crowd(45)),
    _spec("crowdlab", "gitlab.com", "wasm-example", "crowdlab", _crowd(60)),
    _spec("textile", GH, "loom-example", "textile", _TEXTILE),
    _spec("knitting", "tangled.org", "@loom.example", "knitting", _TEXTILE),
    _spec("weave", GH, "shuttle-example", "weave", _WEAVE),
    _spec("warp", GH, "shuttle-example", "warp", _WARP),
    _spec("dated", GH, "date-example", "dated", _DATED),
    _spec("datedgit", "git.example.org", "tools", "datedgit", _DATED),
    _spec("channel", "tangled.org", "@chan.example", "channel", _CHANNEL),
    _spec("tip", GH, "commit-example", "tip", _TIP),
)
# Repositories whose drafts readers do not see (GitHub: no push access).
HIDDEN_DRAFTS = (("github.com", "draft-example", "hidden"),)


@dataclass(frozen=True)
class Pinned:
    """One package of the classes NUR: its upstream, its version and the text of its pin."""

    key: str
    version: str
    ref: str  # the tag whose commit and hash are pinned
    rev_line: str  # `tag = "..."` / `rev = "..."`, with {rev} for the tag's commit


PINS: tuple[Pinned, ...] = (
    Pinned("drafty", "3.1.0", "v3.1.0", 'tag = "v3.1.0";'),
    Pinned("hidden", "3.1.0", "v3.1.0", 'rev = "v${version}";'),
    Pinned("pepper", "4.1.0", "4.1.0", 'tag = "4.1.0";'),
    Pinned("longterm", "2.4.0", "v2.4.0", 'tag = "v2.4.0";'),
    Pinned("crowd", "1.7.0", "v1.7.0", 'rev = "v${version}";'),
    Pinned("throng", "1.7.0", "v1.7.0", 'rev = "v${version}";'),
    Pinned("throngberg", "1.7.0", "v1.7.0", 'rev = "v${version}";'),
    Pinned("thronglab", "1.7.0", "v1.7.0", 'rev = "v${version}";'),
    Pinned("crowdberg", "1.7.0", "v1.7.0", 'rev = "v${version}";'),
    Pinned("crowdlab", "1.7.0", "v1.7.0", 'rev = "v${version}";'),
    Pinned("textile", "1.3.0", "loom-1.3.0", 'tag = "loom-1.3.0";'),
    Pinned("knitting", "2.0.0", "spindle-2.0.0", 'rev = "spindle-${version}";'),
    Pinned("weave", "2.0.0", "v2.0.0", 'tag = "v2.0.0";'),
    Pinned("warp", "1.0.0", "warp-1.0.0-final", 'tag = "warp-1.0.0-final";'),
    Pinned("dated", "1.1.0", "1.1.0", 'tag = "1.1.0";'),
    Pinned("datedgit", "1.1.0", "1.1.0", 'tag = "1.1.0";'),
    Pinned("channel", "1.4.0-alpha", "v1.4.0-alpha", 'rev = "v${version}";'),
    Pinned("tip", "0.1.0", "v0.1.0", 'rev = "{rev}";'),
)

# What the classes need configured: the forges' APIs, the explicit prefix and regex.
PACKAGE_CONFIG = """
[packages.classes-weave]
tag_prefix = "shuttle-"
[packages.classes-warp]
tag_regex = 'warp-(?P<version>[0-9.]+)-final'
"""


def config_text(forge: LocalForge) -> str:
    return (
        f'[forges."codeberg.org"]\ntype = "forgejo"\napi_url = "{forge.url}/api/v1"\n'
        f'[forges."gitlab.com"]\ntype = "gitlab"\napi_url = "{forge.url}/api/v4"\n' + PACKAGE_CONFIG
    )


def _fetcher(spec: UpstreamSpec) -> tuple[str, str]:
    """The fetcher's name and its location arguments for the spec's host."""
    if spec.host == "github.com":
        return "fetchFromGitHub", f'owner = "{spec.owner}";\n    repo = "{spec.repo}";'
    if spec.host == "gitlab.com":
        return "fetchFromGitLab", f'owner = "{spec.owner}";\n    repo = "{spec.repo}";'
    if spec.host == "codeberg.org":
        where = f'domain = "codeberg.org";\n    owner = "{spec.owner}";\n    repo = "{spec.repo}";'
        return "fetchFromGitea", where
    if spec.host == "tangled.org":
        where = f'domain = "tangled.org";\n    owner = "{spec.owner}";\n    repo = "{spec.repo}";'
        return "fetchFromTangled", where
    return "fetchgit", f'url = "https://{spec.host}/{spec.owner}/{spec.repo}.git";'


def package_nix(pin: Pinned, up: Upstream) -> str:
    fetcher, where = _fetcher(up.spec)
    commit = up.rev(pin.ref)
    digest = up.git_hash(pin.ref) if fetcher == "fetchgit" else up.archive_hash(pin.ref)
    rev_line = pin.rev_line.replace("{rev}", commit)
    return (
        f"{{ stdenv, {fetcher} }}:\n"
        "stdenv.mkDerivation rec {\n"
        f'  pname = "{up.spec.repo}";\n'
        f'  version = "{pin.version}";\n\n'
        f"  src = {fetcher} {{\n"
        f"    {where}\n"
        f"    {rev_line}\n"
        f'    hash = "{digest}";\n'
        "  };\n"
        "}\n"
    )


_TOP = """# The classes NUR (issue 12): `nix-build <this directory> -A classes-<key>`.
{ pkgs ? import <nixpkgs> { } }:
import ./pkgs { inherit pkgs; }
"""
_AGGREGATE = """{ pkgs ? import <nixpkgs> { } }:
let
  inherit (pkgs) lib;

  organizations = {
    classes = import ./classes { inherit pkgs; };
  };
in
lib.concatMapAttrs (
  org: packages:
  lib.mapAttrs' (key: drv: lib.nameValuePair "${org}-${key}" drv) (
    lib.filterAttrs (_: lib.isDerivation) packages
  )
) organizations
"""


def write_nur(root: Path, upstreams: dict[str, Upstream]) -> Path:
    (root / "pkgs" / "classes").mkdir(parents=True, exist_ok=True)
    (root / "default.nix").write_text(_TOP)
    (root / "pkgs" / "default.nix").write_text(_AGGREGATE)
    calls = "".join(f"  {p.key} = pkgs.callPackage ./{p.key}.nix {{ }};\n" for p in PINS)
    (root / "pkgs" / "classes" / "default.nix").write_text(f"{{ pkgs }}:\n{{\n{calls}}}\n")
    for pin in PINS:
        (root / "pkgs" / "classes" / f"{pin.key}.nix").write_text(
            package_nix(pin, upstreams[pin.key])
        )
    return root


class ClassesWorld(World):
    """The local world with the classes' upstreams and their NUR instead of the shared ones."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, specs=SPECS, nur_source=Path(root).resolve() / "nur-source")

    def _create_nur(self, forge: LocalForge) -> None:
        write_nur(self.nur_source, dict(self.upstreams))
        for host, owner, repo in HIDDEN_DRAFTS:
            forge.hide_drafts(host, owner, repo)
        super()._create_nur(forge)

    def config_text(self) -> str:
        return config_text(self.forge)
