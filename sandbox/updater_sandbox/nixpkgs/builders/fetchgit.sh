. "$common"
export GIT_TERMINAL_PROMPT=0
mkdir -p "$out"
cd "$out"
git -c init.defaultBranch=main init -q
git remote add origin "$url"
if [ -n "$tag" ]; then ref="refs/tags/$tag"; else ref="$rev"; fi
echo "fetching $ref from $url" >&2
if [ "$deepClone" != 1 ] && git fetch -q --depth=1 origin "$ref" 2>/dev/null; then
    git -c advice.detachedHead=false checkout -q FETCH_HEAD
else
    # the server would not hand out this object directly: fetch everything, then pick it
    git fetch -q origin '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*'
    git -c advice.detachedHead=false checkout -q "${tag:-$rev}"
fi
if [ "$fetchSubmodules" = 1 ] && [ -f .gitmodules ]; then
    git submodule update -q --init --recursive
fi
if [ "$leaveDotGit" != 1 ]; then rm -rf .git; fi
if [ -n "${postFetch:-}" ]; then eval "$postFetch"; fi
