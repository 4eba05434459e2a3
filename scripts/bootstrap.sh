#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine (root, with Python, git and curl): Debian's Nix
# made able to build, a virtual environment with updater and its test extras, and the npm
# packages the tests use. Re-running it only does what is missing; it relies on nothing that was
# installed or configured on the machine by hand before.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v nix-build >/dev/null 2>&1 || need_apt+=(nix-bin)
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v xz >/dev/null 2>&1 || need_apt+=(xz-utils)
if [ "${UPDATER_WITH_BROWSER:-0}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  need_apt+=(chromium)
fi
if [ "${UPDATER_WITH_POSTGRES:-0}" = 1 ] && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  need_apt+=(postgresql)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need_apt[*]} with apt-get" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Nix build users. Debian's nix-bin leaves no /etc/nix/nix.conf, and Nix's built-in default
# `build-users-group = nixbld` names a group that does not exist, so every build fails. We create
# the build users the way Debian's nix-setup-systemd package does (group nixbld, users
# nixbld1..N, members of it, no login, no home) rather than switch to single-user root builds:
# builders then run as unprivileged users, not as root, and a machine (or a user's own nix.conf)
# that already names `nixbld` keeps working unchanged.
nix_users=${UPDATER_NIX_BUILD_USERS:-8}
getent group nixbld >/dev/null || groupadd --system nixbld
for i in $(seq 1 "$nix_users"); do
  if ! getent passwd "nixbld$i" >/dev/null; then
    useradd --system --no-create-home --home-dir /var/empty --shell /usr/sbin/nologin \
      --gid nixbld --groups nixbld --comment "Nix build user $i" "nixbld$i"
  fi
done

# The build sandbox needs user namespaces and a chroot store layout that these machines
# (containers) do not provide, and our fixed-output derivations fetch from 127.0.0.1 with the
# host's curl and git, which only works unsandboxed. Both settings are written explicitly so that
# Nix's behaviour does not rest on its compiled-in defaults.
mkdir -p /etc/nix
touch /etc/nix/nix.conf
set_nix_option() {
  if grep -qE "^\s*$1\s*=" /etc/nix/nix.conf; then
    sed -i -E "s|^\s*$1\s*=.*|$1 = $2|" /etc/nix/nix.conf
  else
    echo "$1 = $2" >> /etc/nix/nix.conf
  fi
}
set_nix_option sandbox false
set_nix_option build-users-group nixbld

# Proof that Nix can build: one tiny fixed-output derivation, hashed the way the bot's are. A
# fresh name each time, so an output left in the store from an earlier run cannot stand in for a
# build.
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
nonce="$(date +%s%N)-$$"
printf 'updater bootstrap probe %s\n' "$nonce" > "$probe_dir/payload"
probe_hash=$(nix-hash --type sha256 --flat --base32 "$probe_dir/payload")
cat > "$probe_dir/probe.nix" <<NIX
derivation {
  name = "updater-bootstrap-probe";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo 'updater bootstrap probe $nonce' > \$out" ];
  outputHashMode = "flat";
  outputHashAlgo = "sha256";
  outputHash = "$probe_hash";
}
NIX
if ! probe_log=$(nix-build --no-out-link "$probe_dir/probe.nix" 2>&1); then
  echo "bootstrap: Nix cannot build a fixed-output derivation: $(printf '%s\n' "$probe_log" | grep -m1 'error' || printf '%s\n' "$probe_log" | tail -n1)" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml setup.py sandbox/pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  # The `test` extra brings the test world (sandbox/, the distribution updater-sandbox) by a
  # direct reference, which pip installs as a copy, and pip refuses that reference beside an
  # editable install of the same directory in one call. So the second call swaps the copy for
  # an editable install: edits to the sandbox then take effect here, as edits to updater do.
  .venv/bin/python -m pip install -q -e '.[test]'
  .venv/bin/python -m pip install -q --no-deps -e ./sandbox
  rm -rf sandbox/build  # what building the copy left behind
  rm -f .venv/.installed-* && touch "$stamp"
fi

if [ -f tests/openapi/package.json ] && [ ! -d tests/openapi/node_modules/@octokit/openapi ]; then
  if [ -f tests/openapi/package-lock.json ]; then
    npm ci --prefix tests/openapi --no-audit --no-fund --loglevel=error
  else
    npm install --prefix tests/openapi --no-audit --no-fund --loglevel=error
  fi
fi
