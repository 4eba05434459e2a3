# Sourced by every builder of the fixture. Builders run /bin/sh with the host's tools
# (sandbox = false); PATH is set by the derivation.
set -e
export LC_ALL=C

# The world routes real forge URLs to the local forge through git's `url.<base>.insteadOf`
# rules in $GIT_CONFIG_GLOBAL (passed in through impureEnvVars). git applies them itself;
# curl does not read git config, so downloads apply them here: longest matching prefix wins,
# as in git.
rewrite_url() {
    _url=$1
    _best_len=0
    _best=$_url
    if [ -n "${GIT_CONFIG_GLOBAL:-}" ] && [ -r "$GIT_CONFIG_GLOBAL" ]; then
        _rules=$(git config --global --get-regexp '^url\..*\.insteadof$' 2>/dev/null || true)
        while IFS=' ' read -r _key _prefix; do
            [ -n "$_key" ] || continue
            _base=${_key#url.}
            _base=${_base%.insteadof}
            case "$_url" in
            "$_prefix"*)
                if [ "${#_prefix}" -gt "$_best_len" ]; then
                    _best_len=${#_prefix}
                    _best="$_base${_url#"$_prefix"}"
                fi
                ;;
            esac
        done <<RULES
$_rules
RULES
    fi
    printf '%s\n' "$_best"
}

# download URL... -> $1: tries each URL in turn, like nixpkgs' fetchurl with mirrors.
download() {
    _dest=$1
    shift
    for _u in "$@"; do
        _real=$(rewrite_url "$_u")
        echo "downloading '$_u' ($_real)" >&2
        if curl --fail --silent --show-error --location --retry 2 --connect-timeout 10 \
            --max-time 300 --output "$_dest" "$_real"; then
            return 0
        fi
    done
    echo "error: cannot download $_dest from any of: $*" >&2
    return 1
}
