#!/usr/bin/env bash
# Installs what building, running and testing Kapok need on Debian 12. Idempotent: when
# everything is present it changes nothing and takes about a second. Works as root or with sudo.
set -euo pipefail

PACKAGES=(
  # building: bindgen (ffmpeg-next) and pkg-config for the -sys crates
  pkg-config clang libclang-dev
  # GStreamer 1.22: the playout engine
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools
  # FFmpeg 5.1: ingest, and ffprobe as the independent checker in tests
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
  libavfilter-dev libavdevice-dev ffmpeg
  # PostgreSQL server binaries: the test harness starts throwaway clusters
  postgresql
  # live-source tests, speech and a CJK font for alerts, XMLTV validation
  srt-tools espeak-ng fonts-wqy-zenhei xmltv-util
  # load generator for bench/web.sh
  wrk
  # the browser UI's tests (driven by playwright-core from npm)
  chromium
  # RTMP and Icecast servers the playout output tests start on loopback (no service is enabled)
  nginx-light libnginx-mod-rtmp icecast2
  # a venv for the S3-compatible test server (moto)
  python3 python3-venv
  # prlimit/taskset (util-linux) and kill (procps) sandbox the FFmpeg children of ingest
  util-linux procps
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  # RUNLEVEL=1: packages with services (nginx, icecast2) must not start them; tests start their own.
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq "${missing[@]}"
fi

# The S3-compatible server the media-store tests start on loopback: moto, pinned, in its own
# venv so it neither needs nor disturbs the system's Python packages (scripts/test.sh points
# KAPOK_TEST_S3_SERVER at it).
tools="${KAPOK_TOOLS:-$HOME/.cache/kapok}"
if [ ! -x "$tools/moto/bin/moto_server" ]; then
  echo "setup: installing moto[server] 5.2.1 into $tools/moto"
  mkdir -p "$tools"
  python3 -m venv "$tools/moto"
  "$tools/moto/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.1'
fi

# The EBD upper-platform simulator (tests/sim/ebd_platform.py) signs with SM2 through gmssl,
# pinned, in its own venv like moto (tests/it/ebd_platform.rs finds it there).
if [ ! -x "$tools/ebdsim/bin/python" ] || ! "$tools/ebdsim/bin/python" -c 'import gmssl' 2>/dev/null; then
  echo "setup: installing gmssl 3.2.2 into $tools/ebdsim"
  mkdir -p "$tools"
  python3 -m venv "$tools/ebdsim"
  "$tools/ebdsim/bin/pip" install --quiet --disable-pip-version-check 'gmssl==3.2.2'
fi

# The browser UI builds with Vite 7, which needs Node.js 20.19 or newer (Debian 12's own
# nodejs is 18: use the machine's Node 20+, e.g. from NodeSource).
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)' 2>/dev/null; then
  echo "setup: Node.js >= 20.19 with npm is needed for the browser UI (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# The Rust gates need rustfmt and clippy.
if command -v rustup >/dev/null 2>&1; then
  for c in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
  done
fi
