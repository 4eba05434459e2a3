# updater in a container: Python, Debian's Nix and git, running as an unprivileged user.
#
#   docker build -t updater .
#   docker run -d --name updater -p 8080:8080 --env-file updater.env \
#     -v /srv/my-nur:/repo updater              # `updater serve` on the checkout at /repo
#   docker run --rm --env-file updater.env -v /srv/my-nur:/repo updater run --all
#
# Secrets come from the environment only (GITHUB_TOKEN or UPDATER_GITHUB_APP_PRIVATE_KEY,
# UPDATER_RUN_TOKEN); see deploy/systemd/updater.env.example and docs/OPERATING.md.

# ---- build: the package and its dependencies in a virtual environment ----------------------
FROM python:3.12.8-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /src
# The product alone: the test world (sandbox/) is a distribution of its own, not copied.
COPY pyproject.toml setup.py README.md ./
COPY updater ./updater
RUN python -m venv /opt/updater \
    && /opt/updater/bin/pip install --no-cache-dir ".[postgres]"

# ---- runtime --------------------------------------------------------------------------------
FROM python:3.12.8-slim-bookworm

# Versions are pinned by the base image's Debian release (bookworm); pinning each package's
# exact version would break the build at every Debian security update.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates \
        git \
        nix-bin \
        openssh-client \
        xz-utils \
    && rm -rf /var/lib/apt/lists/*

# A single-user Nix owned by the service user: no daemon, no build users, /nix writable by
# `updater` only. A mounted package repository may belong to another uid: git must not refuse
# it ("dubious ownership").
RUN groupadd --system --gid 10001 updater \
    && useradd --system --uid 10001 --gid updater --create-home --home-dir /home/updater \
        --shell /usr/sbin/nologin updater \
    && mkdir -p /nix/store /nix/var/nix /repo /home/updater/.config/updater \
    && chown -R updater:updater /nix /repo /home/updater \
    && git config --system --add safe.directory /repo

COPY deploy/docker/nix.conf /etc/nix/nix.conf
COPY --chown=updater:updater deploy/docker/updater.toml /home/updater/.config/updater/updater.toml
COPY --from=build /opt/updater /opt/updater

ENV PATH=/opt/updater/bin:$PATH \
    HOME=/home/updater \
    USER=updater \
    NIX_PATH=nixpkgs=channel:nixos-unstable \
    PYTHONUNBUFFERED=1

# Numeric, so that the runtime (and Kubernetes runAsNonRoot) can tell it is not root.
USER 10001:10001
WORKDIR /repo
VOLUME ["/nix", "/repo"]
EXPOSE 8080

# Only healthy while the HTTP server answers /healthz with 2xx (urlopen raises otherwise).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ.get('UPDATER_HEALTHCHECK_URL', 'http://127.0.0.1:8080/healthz'), timeout=4)"]

# SIGTERM lets a run finish or cleanly abandon the package in progress; give it time with
# `docker stop --time 300`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["updater"]
CMD ["serve"]
