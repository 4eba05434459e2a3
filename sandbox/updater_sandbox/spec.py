"""What the world's upstream repositories contain: a declarative, deterministic description.

Every file of every commit is a pure function of (upstream, project version, dependency
generation, commit messages so far), so the same spec yields the same trees, the same commit
SHAs and the same Nix hashes on every machine. The fixture NUR pins those SHAs and hashes as
literals.

A *dependency generation* (`deps`) stands for "the set of dependencies in the lock file": a
release that bumps it changes the lock file (and so the dependency hash); one that keeps it
leaves the lock file byte-identical.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from dataclasses import dataclass, field
from enum import StrEnum

from updater_sandbox.nar import TreeFile

# 2025-01-01T00:00:00Z: commit n of an upstream is dated EPOCH + offset + n days.
EPOCH = 1735689600
DAY = 86400


class Kind(StrEnum):
    """The language of a project; decides its files and its lock file."""

    GO = "go"
    NPM = "npm"
    RUST = "rust"
    PNPM = "pnpm"
    YARN = "yarn"
    DENO = "deno"
    PLAIN = "plain"


@dataclass(frozen=True)
class LockRule:
    """Where a kind keeps its lock file and which lines of it name dependencies.

    The fixture's dependency derivations write exactly these lines (`grep -E pattern`) to
    `$out/{output}`, so their hash follows the dependencies and nothing else (npm and Cargo lock
    files also carry the project's own version, which must not move the hash).
    """

    lockfile: str
    pattern: str
    output: str


LOCK_RULES: dict[Kind, LockRule] = {
    Kind.GO: LockRule("go.sum", " h1:", "modules.txt"),
    Kind.NPM: LockRule("package-lock.json", '"(resolved|integrity)": ', "packages.txt"),
    Kind.RUST: LockRule("Cargo.lock", "^checksum = ", "checksums.txt"),
    Kind.PNPM: LockRule("pnpm-lock.yaml", "resolution: ", "resolutions.txt"),
    Kind.YARN: LockRule("yarn.lock", "^  (resolved|integrity) ", "offline.txt"),
    Kind.DENO: LockRule("deno.lock", '"integrity": ', "integrity.txt"),
}


@dataclass(frozen=True)
class Project:
    """One buildable project inside a repository; `subdir` is "" for the repository root."""

    name: str
    kind: Kind
    subdir: str = ""
    # Go: extra `cmd/<service>` main packages next to the root one.
    services: tuple[str, ...] = ()
    # Rust: a git dependency ("host/owner/repo"; "{deps}" in it is the dependency generation)
    # locked at tag v0.<deps>.0 of that repository, always as crate version 0.1.0 (so
    # cargoLock.outputHashes keeps its key when only the tag moves)
    git_dep: str | None = None


@dataclass(frozen=True)
class Step:
    """One commit of an upstream's history, optionally tagged and released on its forge."""

    version: str
    tag: str | None = None
    deps: int = 1
    message: str | None = None
    release: bool = True  # a forge release record for the tag
    prerelease: bool = False
    draft: bool = False
    body: str = ""
    # GitHub's make_latest for the release: True marks it Latest, False never, None by date.
    latest: bool | None = None


@dataclass(frozen=True)
class AssetSpec:
    """A release asset attached to every tagged release: `name` may use {version} and {tag}."""

    name: str
    archive: bool  # True: a .tar.gz with a top folder; False: a single executable file
    platform: str = "any"


@dataclass(frozen=True)
class UpstreamSpec:
    key: str
    host: str
    owner: str
    repo: str
    projects: tuple[Project, ...]
    history: tuple[Step, ...]
    annotated_tags: bool = False
    # Paths marked export-ignore: archives (GitHub/tangled tarballs) lack them, git checkouts
    # have them, so archive and git hashes of one rev differ as they do on real tangled repos.
    export_ignore: tuple[str, ...] = ()
    assets: tuple[AssetSpec, ...] = ()
    offset: int = field(default=0)  # seconds added to every commit date

    @property
    def slug(self) -> str:
        return f"{self.host}/{self.owner}/{self.repo}"


def _b64sum(text: str) -> str:
    import base64

    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _sha512_b64(text: str) -> str:
    import base64

    return base64.b64encode(hashlib.sha512(text.encode()).digest()).decode()


def _hexsum(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _go_deps(name: str, deps: int) -> list[tuple[str, str]]:
    mods = [
        (f"github.com/{name}-dev/proto", f"v0.{deps}.0"),
        ("github.com/bluesky-social/indigo", f"v0.0.0-2025010{deps % 10}0000-abcdef{deps:06d}"),
    ]
    mods.append(("golang.org/x/text", f"v0.{20 + deps}.0"))
    if deps >= 2:
        mods.append(("github.com/gorilla/websocket", f"v1.5.{deps}"))
    return mods


def _go_files(p: Project, module: str, version: str, deps: int) -> dict[str, str]:
    mods = _go_deps(p.name, deps)
    require = "".join(f"\t{m} {v}\n" for m, v in mods)
    gomod = f"module {module}\n\ngo 1.22\n\nrequire (\n{require})\n"
    gosum = "".join(
        f"{m} {v} h1:{_b64sum(m + '@' + v)}\n{m} {v}/go.mod h1:{_b64sum(m + '@' + v + '/go.mod')}\n"
        for m, v in sorted(mods)
    )
    files = {"go.mod": gomod, "go.sum": gosum}
    main = (
        'package main\n\nimport "fmt"\n\n'
        f'const version = "{version}"\n\n'
        'func main() {\n\tfmt.Println("%s %s", "' + p.name + '", version)\n}\n'
    )
    files["main.go"] = main
    for svc in p.services:
        files[f"cmd/{svc}/main.go"] = main.replace(f'"{p.name}"', f'"{svc}"')
    return files


def _npm_files(p: Project, version: str, deps: int) -> dict[str, str]:
    dep_versions = {
        "@atproto/api": f"0.{deps}.0",
        f"@{p.name}/lexicons": f"1.{deps}.0",
        "multiformats": "13.3.1",
    }
    if deps >= 2:
        dep_versions["zod"] = f"3.{22 + deps}.0"
    pkg = {
        "name": p.name,
        "version": version,
        "scripts": {"build": "node build.js"},
        "dependencies": {k: f"^{v}" for k, v in dep_versions.items()},
    }
    lock_packages: dict[str, object] = {
        "": {
            "name": p.name,
            "version": version,
            "dependencies": {k: f"^{v}" for k, v in dep_versions.items()},
        }
    }
    for name, v in sorted(dep_versions.items()):
        base = name.split("/")[-1]
        lock_packages[f"node_modules/{name}"] = {
            "version": v,
            "resolved": f"https://registry.npmjs.org/{name}/-/{base}-{v}.tgz",
            "integrity": "sha512-" + _sha512_b64(f"{name}@{v}"),
        }
    lock = {
        "name": p.name,
        "version": version,
        "lockfileVersion": 3,
        "requires": True,
        "packages": lock_packages,
    }
    return {
        "package.json": json.dumps(pkg, indent=2) + "\n",
        "package-lock.json": json.dumps(lock, indent=2) + "\n",
        "index.js": f'console.log("{p.name} {version}");\n',
    }


def _rust_files(p: Project, version: str, deps: int) -> dict[str, str]:
    crates = [
        ("serde", f"1.0.{200 + deps}"),
        (f"{p.name}-macros", f"0.{deps}.0"),
        ("tokio", "1.43.0"),
    ]
    if deps >= 2:
        crates.append(("reqwest", f"0.12.{deps}"))
    toml_deps = "".join(f'{c} = "{v}"\n' for c, v in crates)
    cargo_toml = (
        f'[package]\nname = "{p.name}"\nversion = "{version}"\nedition = "2021"\n\n'
        f"[dependencies]\n{toml_deps}"
    )
    lock = "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 3\n"
    entries = [(p.name, version, None)] + [(c, v, _hexsum(f"{c}-{v}")) for c, v in crates]
    git = []
    if p.git_dep is not None:
        slug = p.git_dep.replace("{deps}", str(deps))
        dep = slug.rsplit("/", 1)[-1]
        ref = f"v0.{deps}.0"
        git.append(
            f'\n[[package]]\nname = "{dep}"\nversion = "0.1.0"\n'
            f'source = "git+https://{slug}?tag={ref}#{ref}"\n'
        )
    for name, v, checksum in sorted(entries):
        lock += f'\n[[package]]\nname = "{name}"\nversion = "{v}"\n'
        if checksum:
            lock += f'source = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "{checksum}"\n'
        else:
            lock += "dependencies = [\n" + "".join(f' "{c}",\n' for c, _ in crates) + "]\n"
    lock += "".join(git)
    main = f'fn main() {{\n    println!("{p.name} {version}");\n}}\n'
    return {"Cargo.toml": cargo_toml, "Cargo.lock": lock, "src/main.rs": main}


def _pnpm_files(p: Project, version: str, deps: int) -> dict[str, str]:
    dep_versions = {
        "@atproto/xrpc-server": f"0.{deps}.0",
        f"@{p.name}/client": f"2.{deps}.0",
        "express": "4.21.2",
    }
    pkg = {
        "name": p.name,
        "version": version,
        "packageManager": "pnpm@9.15.0",
        "dependencies": {k: f"^{v}" for k, v in dep_versions.items()},
    }
    importers = "".join(
        f"      '{k}':\n        specifier: ^{v}\n        version: {v}\n"
        for k, v in sorted(dep_versions.items())
    )
    packages = "".join(
        f"  '{k}@{v}':\n    resolution: {{integrity: sha512-{_sha512_b64(k + '@' + v)}}}\n\n"
        for k, v in sorted(dep_versions.items())
    )
    lock = (
        "lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n"
        "  excludeLinksFromLockfile: false\n\nimporters:\n\n  .:\n    dependencies:\n"
        f"{importers}\npackages:\n\n{packages}"
    )
    return {
        "package.json": json.dumps(pkg, indent=2) + "\n",
        "pnpm-lock.yaml": lock,
        "src/index.ts": f'console.log("{p.name} {version}");\n',
    }


def _yarn_files(p: Project, version: str, deps: int) -> dict[str, str]:
    dep_versions = {
        "react": f"18.{deps}.0",
        "react-dom": f"18.{deps}.0",
        f"{p.name}-ui": f"0.{deps}.1",
    }
    pkg = {
        "name": p.name,
        "version": version,
        "private": True,
        "dependencies": {k: f"^{v}" for k, v in dep_versions.items()},
    }
    lock = (
        "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n"
    )
    for k, v in sorted(dep_versions.items()):
        lock += (
            f'\n"{k}@^{v}":\n  version "{v}"\n'
            f'  resolved "https://registry.yarnpkg.com/{k}/-/{k}-{v}.tgz#{_hexsum(k + v)[:40]}"\n'
            f"  integrity sha512-{_sha512_b64(k + '@' + v)}\n"
        )
    return {
        "package.json": json.dumps(pkg, indent=2) + "\n",
        "yarn.lock": lock,
        "src/App.jsx": f"export const App = () => <p>{p.name} {version}</p>;\n",
    }


def _deno_files(p: Project, version: str, deps: int) -> dict[str, str]:
    jsr = {
        "@std/http": f"1.0.{deps}",
        f"@{p.name}/core": f"0.{deps}.2",
        "@atproto/lexicon": "0.4.5",
    }
    lock = {
        "version": "4",
        "specifiers": {f"jsr:{k}@^{v}": v for k, v in sorted(jsr.items())},
        "jsr": {f"{k}@{v}": {"integrity": _hexsum(k + v)} for k, v in sorted(jsr.items())},
    }
    deno_json = {"name": p.name, "version": version, "tasks": {"start": "deno run main.ts"}}
    return {
        "deno.json": json.dumps(deno_json, indent=2) + "\n",
        "deno.lock": json.dumps(lock, indent=2) + "\n",
        "main.ts": f'console.log("{p.name} {version}");\n',
    }


def _plain_files(p: Project, version: str, deps: int) -> dict[str, str]:
    return {
        "Makefile": f"VERSION = {version}\n\nall:\n\t@echo {p.name} $(VERSION)\n",
        f"bin/{p.name}": f'#!/bin/sh\necho "{p.name} {version}"\n',
    }


def project_files(spec: UpstreamSpec, p: Project, version: str, deps: int) -> dict[str, str]:
    if p.kind is Kind.GO:
        module = f"{spec.host}/{spec.owner}/{spec.repo}".replace("@", "")
        if p.subdir:
            module += "/" + p.subdir
        return _go_files(p, module, version, deps)
    if p.kind is Kind.NPM:
        return _npm_files(p, version, deps)
    if p.kind is Kind.RUST:
        return _rust_files(p, version, deps)
    if p.kind is Kind.PNPM:
        return _pnpm_files(p, version, deps)
    if p.kind is Kind.YARN:
        return _yarn_files(p, version, deps)
    if p.kind is Kind.DENO:
        return _deno_files(p, version, deps)
    return _plain_files(p, version, deps)


def render_tree(
    spec: UpstreamSpec, version: str, deps: int, changelog: tuple[str, ...]
) -> dict[str, TreeFile]:
    """The full tree of one commit."""
    files: dict[str, TreeFile] = {}
    text: dict[str, str] = {
        "README.md": f"# {spec.repo}\n\nUpstream fixture for {spec.slug}.\nVersion {version}.\n",
        "LICENSE": "MIT License\n\nCopyright (c) 2025 the fixture authors\n",
        "CHANGELOG.md": "# Changelog\n\n" + "".join(f"- {line}\n" for line in changelog),
    }
    if spec.export_ignore:
        text[".gitattributes"] = "".join(f"/{p} export-ignore\n" for p in spec.export_ignore)
        for path in spec.export_ignore:
            text[f"{path}/workflows/ci.yml"] = "when:\n  - event: push\nsteps:\n  - name: test\n"
    for p in spec.projects:
        prefix = f"{p.subdir}/" if p.subdir else ""
        for name, content in project_files(spec, p, version, deps).items():
            text[prefix + name] = content
    for path, content in text.items():
        files[path] = TreeFile(content.encode(), executable=path.split("/")[-2:-1] == ["bin"])
    return files


def archive_view(spec: UpstreamSpec, tree: dict[str, TreeFile]) -> dict[str, TreeFile]:
    """The tree as `git archive` exports it (export-ignore paths dropped)."""
    return {
        path: f
        for path, f in tree.items()
        if not any(path == ig or path.startswith(ig + "/") for ig in spec.export_ignore)
    }


def deps_view(kind: Kind, lock_text: str) -> dict[str, TreeFile]:
    """The output tree of the fixture's dependency derivation for this lock file."""
    rule = LOCK_RULES[kind]
    rx = re.compile(rule.pattern)
    lines = [line + "\n" for line in lock_text.splitlines() if rx.search(line)]
    return {rule.output: TreeFile("".join(lines).encode())}


def asset_bytes(spec: UpstreamSpec, asset: AssetSpec, version: str) -> bytes:
    """Deterministic content of a release asset (tarballs: fixed mtimes, owners and gzip header)."""
    script = f'#!/bin/sh\necho "{spec.repo} {version} {asset.platform}"\n'.encode()
    if not asset.archive:
        return script
    buf = io.BytesIO()
    top = f"{spec.repo}-{version}"
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data, mode in (
            (f"{top}/bin/{spec.repo}", script, 0o755),
            (f"{top}/README.md", f"{spec.repo} {version} for {asset.platform}\n".encode(), 0o644),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, EPOCH
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    import gzip

    return gzip.compress(buf.getvalue(), mtime=0)


def asset_tree(spec: UpstreamSpec, asset: AssetSpec, version: str) -> dict[str, TreeFile]:
    """What fetchzip unpacks from an archive asset (its top folder stripped)."""
    script = f'#!/bin/sh\necho "{spec.repo} {version} {asset.platform}"\n'.encode()
    return {
        f"bin/{spec.repo}": TreeFile(script, executable=True),
        "README.md": TreeFile(f"{spec.repo} {version} for {asset.platform}\n".encode()),
    }


def _s(version: str, *, tag: str | None = None, deps: int = 1, **kw: object) -> Step:
    return Step(version, tag=tag if tag is not None else f"v{version}", deps=deps, **kw)  # type: ignore[arg-type]


def _c(version: str, message: str, deps: int = 1) -> Step:
    """An untagged commit."""
    return Step(version, tag=None, deps=deps, message=message, release=False)


TANGLED_CI = (".tangled",)

UPSTREAMS: tuple[UpstreamSpec, ...] = (
    UpstreamSpec(
        key="gatekeeper",
        host="tangled.org",
        owner="@gatekeeper.example.com",
        repo="pds-gatekeeper",
        projects=(Project("pds-gatekeeper", Kind.RUST),),
        history=(_s("0.1.0"), _c("0.1.0", "fix: reject empty invites"), _s("0.2.0", deps=2)),
        export_ignore=TANGLED_CI,
        offset=1 * 3600,
    ),
    UpstreamSpec(
        key="knot",
        host="tangled.org",
        owner="@knot.example.org",
        repo="core",
        projects=(
            Project(
                "knot",
                Kind.GO,
                services=(
                    "appview",
                    "knotserver",
                    "spindle",
                    "jetstream",
                    "keyfetch",
                    "repoguard",
                    "labeler",
                    "camo",
                    "avatar",
                    "notify",
                    "guard",
                    "tap",
                ),
            ),
        ),
        history=(
            _s("1.10.0-alpha"),
            _c("1.10.0-alpha", "appview: faster timeline"),
            _s("1.11.0-alpha"),
            _c("1.11.0-alpha", "knotserver: log push events"),
            _s("1.12.0-alpha", deps=2),
        ),
        annotated_tags=True,
        export_ignore=TANGLED_CI,
        offset=2 * 3600,
    ),
    UpstreamSpec(
        key="atproto",
        host="github.com",
        owner="bluesky-example",
        repo="atproto",
        projects=tuple(
            Project(name, Kind.PLAIN, subdir=f"packages/{name}")
            for name in (
                "api",
                "pds",
                "bsync",
                "ozone",
                "lex-cli",
                "xrpc",
                "identity",
                "repo",
                "syntax",
                "crypto",
                "sync",
            )
        ),
        history=(_s("0.1.0"), _c("0.1.0", "pds: rotate keys"), _s("0.2.0")),
        offset=3 * 3600,
    ),
    UpstreamSpec(
        key="indigo",
        host="github.com",
        owner="indigo-example",
        repo="indigo",
        projects=(
            Project(
                "indigo",
                Kind.GO,
                services=("relay", "palomar", "hepa", "rainbow", "sonar", "goat"),
            ),
        ),
        history=(
            _s("0.0.1"),
            _c("0.0.1", "relay: bounded queues"),
            _c("0.0.1", "goat: new verbs", deps=2),
        ),
        offset=4 * 3600,
    ),
    UpstreamSpec(
        key="jetstream",
        host="github.com",
        owner="bluesky-example",
        repo="jetstream",
        projects=(Project("jetstream", Kind.GO),),
        history=(
            _s("0.1.0"),
            _s("0.2.0"),
            _s("0.3.0", deps=2),
            _s("0.4.0-rc.1", deps=2, prerelease=True, body="Release candidate."),
        ),
        offset=5 * 3600,
    ),
    UpstreamSpec(
        key="feedgen",
        host="codeberg.org",
        owner="feeduser",
        repo="feedgen",
        projects=(Project("feedgen", Kind.PNPM),),
        history=(_s("1.0.0-rc.4"), _s("1.0.0-rc.5", deps=2)),
        offset=6 * 3600,
    ),
    UpstreamSpec(
        key="labeler",
        host="gitlab.com",
        owner="labelgroup",
        repo="ozone-labeler",
        projects=(Project("ozone-labeler", Kind.NPM),),
        history=(_s("0.5.0-alpha.4"), _c("0.5.0-alpha.4", "docs"), _s("0.5.0", deps=2)),
        offset=7 * 3600,
    ),
    UpstreamSpec(
        key="microcosm",
        host="tangled.org",
        owner="@microcosm.example",
        repo="microcosm-rs",
        projects=(
            Project("constellation", Kind.RUST, subdir="constellation"),
            Project("spacedust", Kind.RUST, subdir="spacedust"),
        ),
        history=(
            _c("0.1.0", "initial import"),
            _c("0.1.0", "constellation: backfill"),
            _c("0.1.0", "spacedust: filters", deps=2),
        ),
        export_ignore=TANGLED_CI,
        offset=8 * 3600,
    ),
    UpstreamSpec(
        key="feedproxy",
        host="tangled.sh",
        owner="@legacy.example.net",
        repo="feed-proxy",
        projects=(Project("feed-proxy", Kind.PLAIN),),
        history=(_s("0.1.0"), _s("0.1.1")),
        offset=9 * 3600,
    ),
    UpstreamSpec(
        key="atctl",
        host="github.com",
        owner="atctl-example",
        repo="atctl",
        projects=(Project("atctl", Kind.PLAIN),),
        history=(_s("0.4.0"), _s("0.4.1")),
        assets=(
            AssetSpec("atctl-{version}-linux-amd64.tar.gz", True, "linux-amd64"),
            AssetSpec("atctl-{version}-linux-arm64.tar.gz", True, "linux-arm64"),
            AssetSpec("atctl-{version}-darwin-universal.tar.gz", True, "darwin-universal"),
            AssetSpec("atctl-linux-amd64", False, "linux-amd64"),
            AssetSpec("atctl-darwin-arm64", False, "darwin-arm64"),
            AssetSpec("atctl-linux-amd64.tar.gz", True, "linux-amd64"),
        ),
        offset=10 * 3600,
    ),
    UpstreamSpec(
        key="skyview",
        host="github.com",
        owner="webapp-example",
        repo="skyview",
        projects=(Project("skyview", Kind.YARN),),
        history=(_s("2.0.0"), _s("2.1.0", deps=2)),
        offset=11 * 3600,
    ),
    UpstreamSpec(
        key="denobot",
        host="tangled.org",
        owner="@deno.example",
        repo="deno-bot",
        projects=(Project("deno-bot", Kind.DENO),),
        history=(_s("1.10.0-alpha"), _s("1.11.0-alpha"), _s("1.12.0-alpha", deps=2)),
        export_ignore=TANGLED_CI,
        offset=12 * 3600,
    ),
    UpstreamSpec(
        key="firehose",
        host="github.com",
        owner="firehose-example",
        repo="firehose-tools",
        projects=(Project("firehose-tools", Kind.PLAIN),),
        history=(_s("0.3.0"), _s("0.3.1")),
        offset=13 * 3600,
    ),
    UpstreamSpec(
        key="blobstore",
        host="codeberg.org",
        owner="blob-example",
        repo="blobstore",
        projects=(Project("blobstore", Kind.PLAIN),),
        history=(_s("0.9.0"), _s("1.0.0")),
        offset=14 * 3600,
    ),
    UpstreamSpec(
        key="plcmirror",
        host="github.com",
        owner="plc-example",
        repo="plc-mirror",
        projects=(Project("plc-mirror", Kind.RUST),),
        history=(_s("0.6.0"), _s("0.7.0", deps=2)),
        offset=15 * 3600,
    ),
    UpstreamSpec(
        key="resolver",
        host="git.example.org",
        owner="tools",
        repo="handle-resolver",
        projects=(Project("handle-resolver", Kind.PLAIN),),
        history=(_c("0.1.0", "initial"), _c("0.1.0", "cache DNS answers")),
        offset=16 * 3600,
    ),
)


def upstream_spec(key: str) -> UpstreamSpec:
    for spec in UPSTREAMS:
        if spec.key == key:
            return spec
    raise KeyError(key)
