#!/usr/bin/env bash
# npm postinstall: makes mediasoup 3.8.4 (the voice role's SFU) available as node_modules/mediasoup.
#
# Current mediasoup releases download their C++ worker from GitHub or build it with meson, which
# fetches OpenSSL, abseil, libuv... from the internet. 3.8.4 is the last release whose package
# carries every dependency of its worker and builds offline with gyp and make (about 8 minutes on
# two cores). It is built once into a cache outside the clone, keyed by version, and linked into
# node_modules; every later install reuses it. Its gyp needs Python 2.7 or 3.6-3.9, and its bundled
# abseil predates glibc's non-constant SIGSTKSZ, hence the forced include below.
#
# Never fails the install: without a usable Python or compiler it says so and the voice role stays
# off (everything else works). PLEXICHAT_SKIP_VOICE_BUILD=1 skips it; PLEXICHAT_CACHE_DIR moves the cache.
set -uo pipefail

VERSION=3.8.4
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${PLEXICHAT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/plexichat}/mediasoup-$VERSION"
PACKAGE="$CACHE/node_modules/mediasoup"
WORKER="$PACKAGE/worker/out/Release/mediasoup-worker"

say() { printf 'voice: %s\n' "$*" >&2; }

# Without the real package, a stand-in keeps the project building (TypeScript needs the module) and
# makes the voice role's import fail at run time, which turns voice off with a log line.
stand_in() {
  local dir="$ROOT/node_modules/mediasoup"
  rm -rf "$dir" && mkdir -p "$dir"
  cat >"$dir/package.json" <<'JSON'
{ "name": "mediasoup", "version": "0.0.0-unavailable", "main": "index.js", "types": "index.d.ts" }
JSON
  echo "throw new Error('mediasoup is not installed here (see scripts/voice-deps.sh): voice is off');" >"$dir/index.js"
  cat >"$dir/index.d.ts" <<'TS'
/* eslint-disable @typescript-eslint/no-explicit-any -- stand-ins for the types of a package that is not installed */
export const version: string;
export function createWorker(settings?: any): Promise<any>;
export namespace types {
  type AudioLevelObserver = any;
  type AudioLevelObserverVolume = any;
  type Consumer = any;
  type DtlsParameters = any;
  type MediaKind = 'audio' | 'video';
  type Producer = any;
  type Router = any;
  type RtpCapabilities = any;
  type RtpCodecCapability = any;
  type RtpParameters = any;
  type WebRtcTransport = any;
  type Worker = any;
  type WorkerSettings = any;
}
TS
}

if [ "${PLEXICHAT_SKIP_VOICE_BUILD:-}" = 1 ]; then
  say "PLEXICHAT_SKIP_VOICE_BUILD=1: not building mediasoup (install it yourself, or the voice role stays off)"
  [ -e "$ROOT/node_modules/mediasoup/package.json" ] || stand_in
  exit 0
fi

find_python() {
  local candidates=()
  if command -v pyenv >/dev/null 2>&1; then
    local root
    root="$(pyenv root)"
    for v in "$root"/versions/2.7.* "$root"/versions/3.9.* "$root"/versions/3.8.* "$root"/versions/3.7.*; do
      [ -x "$v/bin/python" ] && candidates+=("$v/bin/python")
    done
  fi
  candidates+=(python2.7 python2 python3.9 python3.8 python3.7 python3.6)
  for p in "${candidates[@]}"; do
    if "$p" -c 'import sys; sys.exit(0 if sys.version_info < (3, 10) else 1)' >/dev/null 2>&1; then
      command -v "$p" || echo "$p"
      return 0
    fi
  done
  return 1
}

if [ ! -x "$WORKER" ]; then
  python="$(find_python)" || {
    say "no Python 2.7 or 3.6-3.9 found (mediasoup 3.8.4's gyp needs one): the voice role stays off"
    say "install one (e.g. pyenv install 3.9.18) and run: bash scripts/voice-deps.sh"
    stand_in
    exit 0
  }
  build="$CACHE.build-$$"
  rm -rf "$build" && mkdir -p "$build"
  printf '#include <signal.h>\n#undef SIGSTKSZ\n#define SIGSTKSZ 16384\n' >"$build/sigstksz.h"
  echo '{"name":"plexichat-voice-deps","version":"1.0.0","private":true}' >"$build/package.json"
  say "building mediasoup $VERSION's worker once into $CACHE (about 8 minutes on two cores)"
  # A clean environment: the npm_config_* of the install that runs this must not steer this one.
  if (cd "$build" && env -i HOME="$HOME" PATH="$PATH" CXXFLAGS="-include $build/sigstksz.h" PYTHON="$python" \
    npm install --no-audit --no-fund --loglevel=error "mediasoup@$VERSION" >"$build/build.log" 2>&1) &&
    [ -x "$build/node_modules/mediasoup/worker/out/Release/mediasoup-worker" ]; then
    rm -rf "$CACHE" && mv "$build" "$CACHE"
    # Only lib/ and the (statically linked) worker binary are used at run time: keep the cache small.
    rm -rf "$PACKAGE/worker/out/Release/obj.target" "$PACKAGE/worker/out/Release/.deps" \
      "$PACKAGE/worker/deps" "$PACKAGE/worker/test" "$PACKAGE/worker/fuzzer"
    rm -f "$PACKAGE"/worker/out/Release/*.a
    say "built $WORKER"
  else
    say "building mediasoup failed (log: $build/build.log): the voice role stays off"
    stand_in
    exit 0
  fi
fi

mkdir -p "$ROOT/node_modules"
rm -rf "$ROOT/node_modules/mediasoup"
ln -sfn "$PACKAGE" "$ROOT/node_modules/mediasoup"
say "mediasoup $VERSION linked from $CACHE"
