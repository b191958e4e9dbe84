#!/usr/bin/env bash
# A separate venv with the current LeRobot release, to check our dataset against the real library.
#
# LeRobot 0.6.1 needs Python >= 3.12 and torch >= 2.7, < 2.12; PyPI (the one registry we reach) has only
# the CUDA build of torch for x86_64, whose libtorch_cuda.so links cudnn/cublas/nccl/... at import even on
# a CPU-only machine. So the venv gets torch 2.11.0 with the nvidia libraries it links, and nothing it
# only loads on demand (triton, cusolver, nvrtc, cuda-bindings): every package below is pinned and
# installed with --no-deps, so no resolver can pull more. Video decoding on CPU: torchcodec 0.11.1 over
# the system FFmpeg shared libs (scripts/ensure_system_deps.sh installs ffmpeg), PyAV 15 as LeRobot's fallback.
#
# Cached outside the clone in ${VITRA_CACHE:-~/.cache/vitra}/lerobot-<python>-<hash of the pins>/, built
# in a temporary folder and renamed when it imports, under a lock, so concurrent runs build it once.
# Prints the env's python on stdout (logs go to stderr).
# Exit 3: no Python 3.12 on this machine (callers may skip); any other non-zero: the build failed.
set -euo pipefail

PINS="
lerobot==0.6.1
torch==2.11.0
torchvision==0.26.0
torchcodec==0.11.1
av==15.1.0
datasets==4.8.5
pyarrow==26.0.1
pandas==2.3.3
numpy==2.2.6
huggingface_hub==1.33.0
hf-xet==1.8.0
nvidia-cublas==13.1.0.3
nvidia-cuda-cupti==13.0.85
nvidia-cuda-runtime==13.0.96
nvidia-cudnn-cu13==9.19.0.56
nvidia-cufft==12.0.0.61
nvidia-cufile==1.15.1.6
nvidia-curand==10.4.0.35
nvidia-cusparse==12.6.3.3
nvidia-cusparselt-cu13==0.8.0
nvidia-nccl-cu13==2.28.9
nvidia-nvjitlink==13.0.88
nvidia-nvshmem-cu13==3.4.5
nvidia-nvtx==13.0.85
aiohappyeyeballs==2.7.1
aiohttp==3.14.5
aiosignal==1.4.0
anyio==4.16.0
attrs==26.1.0
certifi==2026.10.19.post1
charset-normalizer==3.5.3
click==8.5.1
cloudpickle==3.1.3
dill==0.4.1
draccus==0.11.6
einops==0.8.2
Farama-Notifications==0.0.6
filelock==4.3.1
frozenlist==1.8.0
fsspec==2026.2.0
gymnasium==1.4.0
h11==0.16.0
httpcore==1.0.9
httpx==0.28.1
idna==3.20
Jinja2==3.1.6
jsonlines==4.0.0
MarkupSafe==3.0.4
mergedeep==1.3.4
mpmath==1.3.0
multidict==7.2.1
multiprocess==0.70.19
mypy_extensions==1.2.0
networkx==3.7
opencv-python-headless==4.13.0.92
packaging==25.0
pillow==12.3.0
propcache==0.5.4
python-dateutil==4.0.0
pytz==2026.6
PyYAML==6.0.4
requests==2.34.2
safetensors==0.8.0
setuptools==81.0.0
sympy==1.14.0
termcolor==3.3.0
toml==0.10.2
tqdm==4.70.1
typing-inspect==0.9.0
typing_extensions==4.16.0
tzdata==2026.6
urllib3==2.8.0
xxhash==4.1.0
yarl==1.25.1
"

PYTHON312=$("$(dirname "$0")/python312.sh") || {
  echo "lerobot_env: LeRobot 0.6.1 needs Python 3.12 and none was found (tried \$VITRA_PYTHON312," \
    "pyenv's 3.12 builds, python3.12 on PATH)" >&2
  exit 3
}

CACHE=${VITRA_CACHE:-$HOME/.cache/vitra}
PY_VERSION=$("$PYTHON312" -c 'import platform; print(platform.python_version())')
KEY=$(printf '%s\n%s\n' "$PY_VERSION" "$PINS" | sha256sum | cut -c1-12)
ENV_DIR="$CACHE/lerobot-py$PY_VERSION-$KEY"
CHECK='import torch, torchvision, torchcodec, av, lerobot
from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.policies.act.modeling_act import ACTPolicy'

mkdir -p "$CACHE"
exec 9>"$CACHE/lerobot-env.lock"
flock 9
rm -rf "$CACHE"/.lerobot-build.*  # left by a build that was killed: no build runs while we hold the lock

if [ ! -x "$ENV_DIR/bin/python" ]; then
  started=$(date +%s)
  echo "lerobot_env: building $ENV_DIR with $PYTHON312 (first run: ~3 GB of wheels, ~6 GB on disk)" >&2
  BUILD=$(mktemp -d "$CACHE/.lerobot-build.XXXXXX")
  trap 'rm -rf "$BUILD"' EXIT
  printf '%s\n' $PINS > "$BUILD/pins.txt"
  "$PYTHON312" -m venv "$BUILD/venv"
  "$BUILD/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    -r "$BUILD/pins.txt" >&2
  "$BUILD/venv/bin/python" -c "$CHECK" >&2
  cp "$BUILD/pins.txt" "$BUILD/venv/vitra-pins.txt"
  mv -T "$BUILD/venv" "$ENV_DIR"
  echo "lerobot_env: built in $(( $(date +%s) - started )) s, $(du -sh "$ENV_DIR" | cut -f1) on disk" >&2
fi

echo "lerobot_env: $ENV_DIR" >&2
echo "$ENV_DIR/bin/python"
