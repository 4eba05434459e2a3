. "$common"
# A small stand-in for nixpkgs' generic builder: unpack, configure, build, install, fixup, each
# replaceable by an attribute of the same name and wrapped in pre/post hooks.

run_hook() {
    eval "_hook=\${$1:-}"
    if [ -n "$_hook" ]; then eval "$_hook"; fi
}

run_phase() {
    eval "_dont=\${dont$1:-}"
    if [ "$_dont" = 1 ]; then return 0; fi
    run_hook "pre$1"
    eval "_body=\${$2:-}"
    if [ -n "$_body" ]; then eval "$_body"; else "$3"; fi
    run_hook "post$1"
}

strip_store_hash() {
    _b=$(basename "$1")
    case "$_b" in
    ????????????????????????????????-*) _b=${_b#*-} ;;
    esac
    printf '%s\n' "$_b"
}

default_unpack() {
    [ -n "${src:-}" ] || return 0
    if [ -d "$src" ]; then
        _dir=$(strip_store_hash "$src")
        cp -R "$src" "$_dir"
        chmod -R u+w "$_dir"
    else
        mkdir _unpack
        tar -xf "$src" -C _unpack
        _dir=$(ls -A _unpack)
        mv "_unpack/$_dir" "$_dir"
        rmdir _unpack
    fi
    : "${sourceRoot:=$_dir}"
}

default_noop() { :; }

default_install() {
    mkdir -p "$out/share/$name" "$out/bin"
    cp -R . "$out/share/$name/"
    for _v in goModules npmDeps cargoDeps pnpmDeps cargoVendorDir cargoArtifacts; do
        eval "_d=\${$_v:-}"
        if [ -n "$_d" ]; then ln -s "$_d" "$out/share/$name.$_v"; fi
    done
    _exe=${mainProgram:-${pname:-$name}}
    printf '#!/bin/sh\necho "%s"\n' "$name" >"$out/bin/$_exe"
    chmod +x "$out/bin/$_exe"
}

if [ -n "${buildCommand:-}" ]; then
    eval "$buildCommand"
    exit 0
fi

run_phase Unpack unpackPhase default_unpack
if [ -n "${sourceRoot:-}" ]; then cd "$sourceRoot"; fi
run_phase Patch patchPhase default_noop
run_phase Configure configurePhase default_noop
run_phase Build buildPhase default_noop
run_phase Install installPhase default_install
run_phase Fixup fixupPhase default_noop
if [ ! -e "$out" ]; then
    echo "error: builder for $name produced no output" >&2
    exit 1
fi
