#!/usr/bin/env bash
# Makes `redis-server` and `redis-cli` available for the @auth0-effect/redis tests, which start
# their own server (and a Redis Cluster, joined with `redis-cli --cluster create`) on free ports.
# Idempotent: does nothing when both are already on PATH. Debian's redis-server package depends
# on redis-tools, which ships redis-cli; both are named so a partial install is completed too.
# Installs Debian's package only; it does not start (or leave running) a system service.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
  echo "redis-server already installed: $(redis-server --version)"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "install-redis.sh: not root and sudo is missing; cannot install redis-server" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# Inside containers without an init system the package's postinst may try to start the service;
# policy-rc.d exit code 101 tells invoke-rc.d not to. Only add one if none exists, and remove it after.
POLICY=/usr/sbin/policy-rc.d
ADDED_POLICY=""
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  ADDED_POLICY=1
fi
cleanup() { if [ -n "$ADDED_POLICY" ]; then $SUDO rm -f "$POLICY"; fi; }
trap cleanup EXIT

$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends redis-server redis-tools

# On machines with systemd the package enables and starts its service; the tests do not want it.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
fi

redis-server --version
redis-cli --version
