. "$common"
# A dependency derivation of the fixture: its output is the dependency lines of the lock file
# and nothing else, so its hash moves exactly when the dependencies do.
lock="$src/${lockDir:+$lockDir/}$lockfile"
if [ ! -f "$lock" ]; then
    echo "error: $name: no $lockfile in $src/${lockDir}" >&2
    exit 1
fi
mkdir -p "$out"
# what else shapes the output (pnpm's fetcherVersion, Go's proxyVendor), as a line of its own
if [ -n "${header:-}" ]; then printf '%s\n' "$header" >"$out/$output"; else : >"$out/$output"; fi
grep -E -- "$pattern" "$lock" >>"$out/$output" || true
