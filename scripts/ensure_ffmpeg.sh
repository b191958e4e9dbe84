#!/usr/bin/env bash
# Make sure the ffmpeg and ffprobe binaries exist: install them with apt when root, else say how.
set -euo pipefail
if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ffmpeg not found: installing it with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
  exit 0
fi
cat >&2 <<'MSG'
ffmpeg/ffprobe are required but not installed, and they cannot be installed automatically here
(not root, or no apt-get). Install them, then run make again:
  Debian/Ubuntu: sudo apt-get install ffmpeg
  macOS:         brew install ffmpeg
  conda:         conda install -c conda-forge ffmpeg
MSG
exit 1
