#!/usr/bin/env bash
# Sourced by ./chatgraph and .ci/run: makes sure Node >= 22.19 (undici 8's floor) and the pinned pnpm are on PATH.
# On a machine whose Node is older, Node 24 and pnpm are installed from the npm registry into
# .tools/ (ignored by git) so nothing global is touched.
set -euo pipefail
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$_root/package.json")"
_tools="$_root/.tools"

# Exits 0 when the Node on PATH is 22.19 or newer.
_node_recent() { node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 22 || (major === 22 && minor >= 19) ? 0 : 1)' 2>/dev/null; }

if [ -x "$_tools/node_modules/.bin/node" ]; then
  export PATH="$_tools/node_modules/.bin:$PATH"
fi
if ! _node_recent || ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$_pnpm_version" ]; then
  echo "toolchain: installing Node 24 and pnpm@$_pnpm_version into .tools/" >&2
  mkdir -p "$_tools"
  [ -f "$_tools/package.json" ] || echo '{"private":true}' > "$_tools/package.json"
  npm install --prefix "$_tools" --no-save --loglevel=error "node@24" "pnpm@$_pnpm_version" >&2
  export PATH="$_tools/node_modules/.bin:$PATH"
fi
export PNPM_HOME="${PNPM_HOME:-$_tools/pnpm-home}"
