# The update script of the scripted-* packages (run as nixpkgs' update.py runs one: in the
# repository's root, UPDATE_NIX_* set). Its argument says how it behaves.
set -eu
mode=$1
dir="pkgs/$UPDATE_NIX_ATTR_PATH"
case "$mode" in
hang) sleep 600 ;;
downgrade) new=0.9.0 ;;
*)
    new=$(git ls-remote --tags --refs https://github.com/hw-example/scripted |
        sed 's|.*refs/tags/v||' | sort -V | tail -n 1)
    ;;
esac
printf '{ "version": "%s" }\n' "$new" >"$dir/version.json"
if [ "$mode" = outside ]; then echo "# touched by an update script" >>pkgs/default.nix; fi
if [ "$mode" = commit ]; then
    printf '[{"attrPath": "%s", "oldVersion": "%s", "newVersion": "%s", "files": ["%s"], "commitMessage": "%s: %s -> %s (by its script)"}]\n' \
        "$UPDATE_NIX_ATTR_PATH" "$UPDATE_NIX_OLD_VERSION" "$new" "$PWD/$dir/version.json" \
        "$UPDATE_NIX_ATTR_PATH" "$UPDATE_NIX_OLD_VERSION" "$new"
fi
