#!/usr/bin/env bash
# Installs what the tests need beyond npm packages, from Debian's packages: redis-server (the
# Redis store's tests start their own server) and chromium (the demo's browser test).
# Idempotent and quick when both are present. Bun, Deno and workerd (Cloudflare Workers' runtime,
# for packages/hono) come from npm (devDependencies, their binaries fetched by pnpm install).
set -euo pipefail
cd "$(dirname "$0")"

bash ./install-redis.sh

if command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed: $(chromium --version 2>/dev/null || echo present)"
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "install-system-deps.sh: not root and sudo is missing; cannot install chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends chromium >/dev/null || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends chromium >/dev/null; }
chromium --version
