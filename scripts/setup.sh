#!/bin/sh
# Installs the Debian packages aifsweep needs, if any is missing.  As root it runs
# apt-get itself; otherwise it prints the command to run.
set -e
PKGS="gcc make pkg-config libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
libopenblas-dev libyaml-dev python3 python3-h5py python3-numpy python3-scipy
python3-matplotlib python3-pytest python3-yaml
clang libclang-rt-dev"
# (clang and its sanitizer runtimes: the fuzz target of `make fuzz`, run by `make test`)
# `setup.sh bench` also wants PyTorch, to time the reference model (optional).
[ "${1:-}" = bench ] && PKGS="$PKGS python3-torch"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "setup: installing missing packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "setup: not root; run: sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "setup: done"
