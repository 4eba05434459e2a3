. "$common"
# shellcheck disable=SC2086 # urls is a space-separated list on purpose
download "$out" $urls
if [ "$executable" = 1 ]; then chmod +x "$out"; fi
if [ -n "${postFetch:-}" ]; then eval "$postFetch"; fi
