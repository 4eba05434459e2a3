#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine (root, with Python, git and curl): Debian's Nix,
# a virtual environment with updater and its test extras, and the npm packages the tests use.
# Re-running it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v nix-build >/dev/null 2>&1 || need_apt+=(nix-bin)
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
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

# Debian's nix-bin runs single-user as root here. Its build sandbox needs user namespaces and
# a chroot store layout that this machine (a container) does not provide, so builds run
# unsandboxed: our fixed-output derivations fetch from 127.0.0.1 with the host's curl and git,
# which only works with the sandbox off anyway.
if [ ! -f /etc/nix/nix.conf ] || ! grep -qE '^\s*sandbox\s*=\s*false' /etc/nix/nix.conf; then
  mkdir -p /etc/nix
  echo "sandbox = false" >> /etc/nix/nix.conf
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  rm -f .venv/.installed-* && touch "$stamp"
fi

if [ -f tests/openapi/package.json ] && [ ! -d tests/openapi/node_modules/@octokit/openapi ]; then
  if [ -f tests/openapi/package-lock.json ]; then
    npm ci --prefix tests/openapi --no-audit --no-fund --loglevel=error
  else
    npm install --prefix tests/openapi --no-audit --no-fund --loglevel=error
  fi
fi
