#!/usr/bin/env bash
# System libraries the Python packages cannot bring: ffmpeg/ffprobe (video), Mesa EGL (MuJoCo's
# offscreen rendering on CPU) and the PostgreSQL server (tests/cluster starts a throwaway one; Debian's
# package may also create and start its own `main` cluster on 5432, which the tests leave alone).
# Installed with apt when root; otherwise a clear message.
set -euo pipefail

missing=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
ldconfig -p 2>/dev/null | grep -q 'libEGL.so.1' || missing+=(libegl1)
ldconfig -p 2>/dev/null | grep -q 'libOpenGL.so.0' || missing+=(libopengl0)
ldconfig -p 2>/dev/null | grep -q 'libEGL_mesa.so.0' || missing+=(libegl-mesa0)
ls /usr/lib/*/dri/swrast_dri.so >/dev/null 2>&1 || missing+=(libgl1-mesa-dri)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages with apt-get: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
cat >&2 <<MSG
These system packages are required but missing, and cannot be installed automatically here
(not root, or no apt-get): ${missing[*]}
  Debian/Ubuntu: sudo apt-get install ${missing[*]}
  (elsewhere: ffmpeg, Mesa's EGL/OpenGL libraries for MuJoCo offscreen rendering, and a PostgreSQL
  server for the cluster profile's real-servers test)
Then run make again.
MSG
exit 1
