#!/usr/bin/env bash
# compile.sh regenerates the checked-in bytecode and ABI of the test contracts
# with solc from npm (solcjs). Run it from anywhere; it needs node and npm.
set -euo pipefail

SOLC_VERSION="${SOLC_VERSION:-0.8.28}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm init -y >/dev/null && npm install --silent "solc@${SOLC_VERSION}" >/dev/null 2>&1)

out="$work/out"
mkdir -p "$out"
for contract in EligibilityRegistry RegulatedToken; do
  (cd "$here" && node "$work/node_modules/solc/solc.js" --optimize --bin --abi \
    --base-path . -o "$out" "${contract}.sol")
  cp "$out/${contract}_sol_${contract}.bin" "$here/${contract}.bin"
  cp "$out/${contract}_sol_${contract}.abi" "$here/${contract}.abi"
done
echo "compiled with solc ${SOLC_VERSION} into $here"
