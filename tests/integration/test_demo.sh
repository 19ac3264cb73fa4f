#!/bin/bash
# The README's first command must work, not just print: runs scripts/demo
# against this build and fails if any step fails.
set -eu
: "${HVP_BIN:?set HVP_BIN to the build directory}" "${HVP_SRC:?set HVP_SRC}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! HVP_BIN="$HVP_BIN" bash "$HVP_SRC/scripts/demo" >"$out" 2>&1; then
	cat "$out" >&2
	echo "FAIL: scripts/demo failed" >&2
	exit 1
fi
for want in "7/7 nodes converged" "created key" "held by DPM server: yes" \
    "would enable VSS" "hardware-provider-snapshot" "lab down: stopped" \
    "LAB-CLUSTER-2: serialization plan generation" \
    "the hand-written entry is kept as written" \
    "cluster LAB-CLUSTER-1 (revision 1"; do
	grep -q -- "$want" "$out" || { cat "$out" >&2; echo "FAIL: demo output lacks '$want'" >&2; exit 1; }
done
echo "ok: scripts/demo ran every step"
