#!/usr/bin/env bash
# `npm run setup`: installs the system packages copper needs before `npm install`:
# a C++ toolchain, git, python3 (node-gyp) and libtorch for @copper/torch.
#   Debian/Ubuntu: apt-get (through sudo when not root).
#   Elsewhere:     prints what to install; libtorch comes from pytorch.org (LibTorch, CPU or CUDA)
#                  or from a pip-installed `torch` package, named by LIBTORCH.
# When node_modules is already there (setup after a first `npm install`), the torch addon is
# rebuilt against the libtorch just installed.
set -euo pipefail
cd "$(dirname "$0")/.."

have_libtorch() {
  if [ -n "${LIBTORCH:-}" ]; then [ -f "$LIBTORCH/include/ATen/ATen.h" ]; return; fi
  [ -f /usr/include/ATen/ATen.h ] || [ -f /usr/local/include/ATen/ATen.h ]
}

elsewhere() {
  cat >&2 <<'MSG'
setup: this is not a Debian/Ubuntu system (no apt-get). Install a C++ toolchain, git and python3, then
  libtorch: download LibTorch (CPU or CUDA, cxx11 ABI) from https://pytorch.org/get-started/locally/,
  unpack it and `export LIBTORCH=/path/to/libtorch`, or `pip install torch` and
  `export LIBTORCH=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')`
  (a pip torch folder holds the same headers and libraries, CUDA builds included).
Then run: npm install && npm run demo
MSG
}

if command -v apt-get >/dev/null 2>&1; then
  pkgs=(build-essential git python3 ca-certificates)
  have_libtorch || pkgs+=(libtorch-dev)
  [ -n "${LIBTORCH:-}" ] || pkgs+=(libgloo-dev)  # torch.distributed over Debian's libtorch (Gloo headers)
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then sudo=()
    elif command -v sudo >/dev/null 2>&1; then sudo=(sudo)
    else
      echo "setup: run as root: apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  echo "setup: system packages are in place ($(have_libtorch && echo "libtorch: ${LIBTORCH:-Debian libtorch-dev}"))"
else
  if ! have_libtorch || ! command -v c++ >/dev/null 2>&1; then
    elsewhere
    exit 1
  fi
  echo "setup: using LIBTORCH=${LIBTORCH:-system libtorch} and $(command -v c++)"
fi

# setup after a first `npm install`: build the torch addon now that libtorch is here.
if [ -d node_modules/node-addon-api ] && [ ! -f packages/torch/build/Release/copper_torch.node ]; then
  npm run build:native -w packages/torch
fi
