. "$common"
dl="$TMPDIR/download"
# shellcheck disable=SC2086 # urls is a space-separated list on purpose
download "$dl" $urls
unpack="$TMPDIR/unpack"
mkdir "$unpack"
case "$extension" in
zip) unzip -qq "$dl" -d "$unpack" ;;
*) tar -xf "$dl" -C "$unpack" ;; # GNU tar detects gzip/xz/bzip2 itself
esac
if [ "$stripRoot" = 1 ]; then
    entries=$(ls -A "$unpack")
    count=$(printf '%s\n' "$entries" | grep -c .)
    if [ "$count" != 1 ] || [ ! -d "$unpack/$entries" ]; then
        echo "error: zip must contain a single directory, but it contains $count entries" >&2
        exit 1
    fi
    mv "$unpack/$entries" "$out"
else
    mv "$unpack" "$out"
fi
if [ -n "${postFetch:-}" ]; then eval "$postFetch"; fi
