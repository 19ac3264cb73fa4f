#!/usr/bin/env bash
# inventory.sh: writes an Ansible inventory (YAML, on standard output) of
# the nodes of an hvpolicy lab, for the baseline of bench/bench-system
# (docs/performance.md). Every host is a lab node reached with
# ansible_connection=local; its host variables name the lab and, for a
# Hyper-V node, the guests it owns now, so push.yml can make the same
# host-file changes hvpolicy makes, through hvpolicy-lab.
#
# usage: inventory.sh LABDIR [HVPOLICY-LAB]
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: inventory.sh LABDIR [HVPOLICY-LAB]" >&2
	exit 64
fi
lab_dir=$(cd "$1" && pwd)
lab_bin=${2:-hvpolicy-lab}
[ -f "$lab_dir/lab.yaml" ] || { echo "inventory.sh: $lab_dir is not a lab" >&2; exit 1; }
command -v jq >/dev/null || { echo "inventory.sh: needs jq" >&2; exit 1; }

hyperv=()
dpm=()
for d in "$lab_dir"/nodes/*/; do
	name=$(basename "$d")
	[ -f "$d/node.yaml" ] || continue
	show=$("$lab_bin" show "$lab_dir" "$name" --format json)
	role=$(jq -r .role <<<"$show")
	guests=$(jq -c '[(.guests // [])[].name]' <<<"$show")
	line="        $name: {guests: $guests}"
	if [ "$role" = dpm-server ]; then
		dpm+=("        $name: {}")
	else
		hyperv+=("$line")
	fi
done

cat <<HEAD
# Ansible inventory of the hvpolicy lab $lab_dir (bench/ansible/inventory.sh)
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: /usr/bin/python3
    lab_dir: "$lab_dir"
    lab_bin: "$lab_bin"
    lab_lock: "$lab_dir/ansible.lock"
  children:
    hyperv_nodes:
      hosts:
HEAD
if [ ${#hyperv[@]} -gt 0 ]; then printf '%s\n' "${hyperv[@]}"; else echo "        {}"; fi
cat <<MID
    dpm_servers:
      hosts:
MID
if [ ${#dpm[@]} -gt 0 ]; then printf '%s\n' "${dpm[@]}"; else echo "        {}"; fi
