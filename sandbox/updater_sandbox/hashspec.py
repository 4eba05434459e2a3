"""The upstreams of the hash world (sandbox/updater_sandbox/hashworld): one per kind of
fixed-output hash the engine refreshes, each with a release that changes its dependencies.

A world of its own, apart from the shared fixture NUR (whose pins other tests count):
`World(root, specs=HASH_UPSTREAMS, nur_source=HASHWORLD)`.
"""

from __future__ import annotations

from pathlib import Path

from updater_sandbox.spec import AssetSpec, Kind, Project, Step, UpstreamSpec

HASHWORLD = Path(__file__).resolve().parent / "hashworld"
OWNER = "hw-example"
SYSTEMS = ("x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin")


def _release(version: str, deps: int) -> Step:
    return Step(version, tag=f"v{version}", deps=deps)


def _spec(
    key: str,
    kind: Kind,
    offset: int,
    assets: tuple[AssetSpec, ...] = (),
    git_dep: str | None = None,
) -> UpstreamSpec:
    return UpstreamSpec(
        key=key,
        host="github.com",
        owner=OWNER,
        repo=key,
        projects=(Project(key, kind, git_dep=git_dep),),
        history=(_release("1.0.0", 1), _release("1.1.0", 2)),
        assets=assets,
        offset=offset * 3600,
    )


HASH_UPSTREAMS: tuple[UpstreamSpec, ...] = (
    # a source fetched by the scan's rules, and a release asset through a helper it cannot read
    _spec("stale", Kind.PLAIN, 1, (AssetSpec("stale-{version}-data.tar.gz", True, "any"),)),
    _spec("crate", Kind.RUST, 2),
    _spec("yarnapp", Kind.YARN, 3),
    _spec("pnpmapp", Kind.PNPM, 4),
    _spec("npmapp", Kind.NPM, 5),
    _spec("goproxy", Kind.GO, 6),
    _spec("gomods", Kind.GO, 7),
    # a release binary per Nix system, fetched by URL
    _spec(
        "bins",
        Kind.PLAIN,
        8,
        tuple(AssetSpec(f"bins-{{version}}-{s}", False, s) for s in SYSTEMS),
    ),
    # a node_modules-style FOD whose output depends on the system that builds it
    _spec("nodemods", Kind.NPM, 9),
    # the versions the scripted-* packages' own updateScript finds (git ls-remote)
    _spec("scripted", Kind.PLAIN, 10),
    # a package whose passthru sub-package (a modules FOD from the source, no input of the
    # package) moves only because its nix-update-script says `--subpackage modules`
    _spec("subpkg", Kind.NPM, 16),
    # a crate whose Cargo.lock locks a git dependency (cargoLock.outputHashes), and that
    # dependency, whose tag the lock moves from v0.1.0 to v0.2.0
    _spec("gitcrate", Kind.RUST, 11, git_dep=f"github.com/{OWNER}/gitdep"),
    # the same, packaged with a copy of its Cargo.lock in the NUR (`lockFile = ./Cargo.lock`)
    _spec("lockcrate", Kind.RUST, 17, git_dep=f"github.com/{OWNER}/gitdep"),
    UpstreamSpec(
        key="gitdep",
        host="github.com",
        owner=OWNER,
        repo="gitdep",
        projects=(Project("gitdep", Kind.PLAIN),),
        history=(_release("0.1.0", 1), _release("0.2.0", 1)),
        offset=12 * 3600,
    ),
    # a crate whose new release drops one git dependency (gitdep1) and locks another (gitdep2):
    # its outputHashes entry goes, a new one comes
    _spec("gitswap", Kind.RUST, 13, git_dep=f"github.com/{OWNER}/gitdep{{deps}}"),
    *(
        UpstreamSpec(
            key=f"gitdep{n}",
            host="github.com",
            owner=OWNER,
            repo=f"gitdep{n}",
            projects=(Project(f"gitdep{n}", Kind.PLAIN),),
            history=(_release(f"0.{n}.0", 1),),
            offset=(13 + n) * 3600,
        )
        for n in (1, 2)
    ),
)


def node_modules_hash(lock_text: str, system: str | None) -> str:
    """The hash of nodemods' node_modules FOD as a builder of `system` would produce it
    (None: subpkg's modules FOD, the same lines without the system's)."""
    import re

    from updater_sandbox import nar

    lines = [
        ln + "\n" for ln in lock_text.splitlines() if re.search(r'"(resolved|integrity)": ', ln)
    ]
    body = (f"system: {system}\n" if system else "") + "".join(lines)
    return nar.tree_hash({"modules.txt": nar.TreeFile(body.encode())})
