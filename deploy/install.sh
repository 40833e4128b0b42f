#!/bin/sh
# Installs deskops into a fresh virtual environment at PREFIX, from this source tree:
#   1. every requirement from requirements.lock (exact versions, hashes checked),
#   2. the wheel built from this tree (no build isolation: the locked setuptools builds it),
#   3. that wheel, without resolving anything again.
# The container image runs exactly this (Dockerfile), and so does tests/integration/test_wheel_install.py.
# Usage: deploy/install.sh PREFIX   (from the source tree; PYTHON=python3.11 picks the interpreter)
set -eu
prefix=${1:?usage: deploy/install.sh PREFIX}
python=${PYTHON:-python3}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
wheels=$(mktemp -d)
trap 'rm -rf "$wheels"' EXIT

"$python" -m venv "$prefix"
"$prefix/bin/python" -m pip install --quiet --require-hashes --requirement "$source_dir/requirements.lock"
"$prefix/bin/python" -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir "$wheels" "$source_dir"
"$prefix/bin/python" -m pip install --quiet --no-deps "$wheels"/deskops-*.whl
"$prefix/bin/deskops" --version
