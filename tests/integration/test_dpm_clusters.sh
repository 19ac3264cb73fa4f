#!/bin/bash
# Two clusters behind one DPM server, with real daemons: one controller
# holds LAB-CLUSTER-1 and LAB-CLUSTER-2, DPM01 protects both. Guests
# migrate (within a cluster and between them), move storage, appear and
# go, in both clusters, from a fixed seed. At every quiet moment (every
# cluster's part held, every node converged) DPM01's DataSourceGroups.xml
# must be the union of both clusters' plans, computed from the lab's host
# files by tests/fault/oracle.py (never from the controller's answers),
# each cluster's groups named CLUSTER/GROUP, plus the entries nobody
# manages (a standalone host's, a DSConfig.ps1 entry for a guest nobody
# reports), byte for byte and in their order. A policy asking DPM01 for
# another perNode than the other cluster's is refused at plan and apply.
set -u
. "$(dirname "$0")/cluster.sh"

SEED=${HVP_DPM_CLUSTERS_SEED:-7}
STEPS=${HVP_DPM_CLUSTERS_STEPS:-14}

"$LABBIN" init "$LAB" --clusters 2 --nodes 2 --csvs 3 --guests 8 \
    --port "$(free_port)" >/dev/null || { fail "lab init"; finish; }
grep -q "clusters: \['LAB-CLUSTER-1', 'LAB-CLUSTER-2'\]" \
    "$LAB/controller/controller.yaml" && ok "controller holds both clusters" ||
    fail "controller.yaml: $(cat "$LAB/controller/controller.yaml")"
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }

policy() {	# FILE CLUSTER PERNODE
	{
		echo "apiVersion: hvpolicy/v1"
		echo "kind: ClusterPolicy"
		echo "metadata: {name: it-$(echo "$2" | tr A-Z a-z)}"
		echo "spec:"
		echo "  cluster: $2"
		echo "  strategy: system-software"
		echo "  serialization: {dpmServer: DPM01, perNode: $3}"
		echo "  reconcile: {intervalSeconds: 5}"
	} >"$1"
}
for c in 1 2; do
	policy "$TMP/c$c.yaml" "LAB-CLUSTER-$c" 1
	hvp apply -f "$TMP/c$c.yaml" --wait --timeout 60 >/dev/null ||
	    fail "apply LAB-CLUSTER-$c"
done

# --- perNode: one DPM server, one MaxAllowedParallelBackups ------------
policy "$TMP/c2-pernode.yaml" LAB-CLUSTER-2 2
hvp plan -f "$TMP/c2-pernode.yaml" >"$TMP/out" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q "LAB-CLUSTER-2" "$TMP/out" &&
    grep -q "cluster LAB-CLUSTER-1" "$TMP/out" &&
    ok "plan refuses a conflicting perNode, naming both clusters" ||
    fail "plan with a conflicting perNode: exit $rc: $(cat "$TMP/out")"
hvp apply -f "$TMP/c2-pernode.yaml" >"$TMP/out" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q "perNode" "$TMP/out" &&
    ok "apply refuses a conflicting perNode" ||
    fail "apply with a conflicting perNode: exit $rc: $(cat "$TMP/out")"
[ "$(hvp history --cluster LAB-CLUSTER-2 --format json | jq_py 'len(d)')" = 1 ] &&
    ok "no revision was stored for it" || fail "a refused policy was stored"

# --- a DPM server's registry: one value for both clusters ---------------
site() {	# FILE CLUSTER DATA
	policy "$1" "$2" 1
	{
		echo "  registry:"
		echo "    - key: 'HKLM\\SOFTWARE\\Site'"
		echo "      value: Window"
		echo "      type: REG_DWORD"
		echo "      data: $3"
		echo "      roles: [dpm-server]"
	} >>"$1"
}
site "$TMP/c1-site.yaml" LAB-CLUSTER-1 4
hvp apply -f "$TMP/c1-site.yaml" --wait --timeout 60 >/dev/null ||
    fail "apply LAB-CLUSTER-1 with a DPM registry value"
site "$TMP/c2-site.yaml" LAB-CLUSTER-2 5
hvp apply -f "$TMP/c2-site.yaml" >"$TMP/out" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q "spec.registry\[0\]" "$TMP/out" &&
    grep -q "REG_DWORD 4" "$TMP/out" && grep -q "REG_DWORD 5" "$TMP/out" &&
    grep -q "cluster LAB-CLUSTER-1" "$TMP/out" &&
    ok "apply refuses another value for the DPM server's registry, naming both" ||
    fail "apply with a conflicting DPM registry value: exit $rc: $(cat "$TMP/out")"
hvp plan -f "$TMP/c2-site.yaml" >"$TMP/out" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q "REG_DWORD 4" "$TMP/out" &&
    ok "plan refuses it too" ||
    fail "plan with a conflicting DPM registry value: exit $rc: $(cat "$TMP/out")"
site "$TMP/c2-site.yaml" LAB-CLUSTER-2 4
hvp apply -f "$TMP/c2-site.yaml" --wait --timeout 60 >/dev/null &&
    ok "the same value from both clusters is applied" ||
    fail "apply of the agreeing DPM registry value"

# --- entries hvpolicy does not own ------------------------------------
# A standalone host's guest at the top (with a comment), and at the end a
# DSConfig.ps1-style entry for a guest no cluster reports.
python3 - "$LAB/nodes/DPM01/DataSourceGroups.xml" <<'PY' || fail "hand edit"
import os, sys
p = sys.argv[1]
t = open(p, "rb").read().decode("utf-16")
head = ("  <!-- HV09 is a standalone host: its SQL guests one at a time -->\r\n"
        "  <Group GroupName='HV09-local' DataSourceName='SQL01' "
        "WriterId='66841cd4-6ded-4f4b-8f17-fd23f8ddc3de' "
        "ComponentName='{AA000000-0000-0000-0000-0000000000A1}'/>\r\n")
tail = ("  <Group GroupName=\"Volume1\" DataSourceName=\"OLDVM\" "
        "WriterId=\"66841cd4-6ded-4f4b-8f17-fd23f8ddc3de\" "
        "ComponentName=\"0d000000-0000-0000-0000-00000000000d\" />\r\n")
i = t.index("\r\n", t.index("<DatasourceGroup")) + 2
t = t[:i] + head + t[i:]
t = t.replace("</DatasourceGroup>", tail + "</DatasourceGroup>")
open(p + ".new", "wb").write(b"\xff\xfe" + t.encode("utf-16-le"))
os.rename(p + ".new", p)
PY

# --- steps, and the oracle at every quiet moment ----------------------
cat >"$TMP/check.py" <<'PY'
"""Exit 0 when DPM01's file is the union of both clusters' plans (from
the host files) plus the foreign entries as written; else print why."""
import json, os, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["HVP_SRC"], "tests", "fault"))
import oracle, hostfile

lab, cli = sys.argv[1], sys.argv[2]
FOREIGN = ["  <!-- HV09 is a standalone host: its SQL guests one at a time -->",
           "  <Group GroupName='HV09-local' DataSourceName='SQL01' "
           "WriterId='66841cd4-6ded-4f4b-8f17-fd23f8ddc3de' "
           "ComponentName='{AA000000-0000-0000-0000-0000000000A1}'/>",
           "  <Group GroupName=\"Volume1\" DataSourceName=\"OLDVM\" "
           "WriterId=\"66841cd4-6ded-4f4b-8f17-fd23f8ddc3de\" "
           "ComponentName=\"0d000000-0000-0000-0000-00000000000d\" />"]
FOREIGN_IDS = {"aa000000-0000-0000-0000-0000000000a1",
               "0d000000-0000-0000-0000-00000000000d"}

st = json.loads(subprocess.run([cli, "--socket", lab + "/controller/control.sock",
    "status", "--format", "json"], capture_output=True, check=True).stdout)
quiet = all(n["online"] and n["converged"] for n in st["nodes"]) and \
    all(c["plan"] and c["plan"]["heldByDpmServer"] for c in st["clusters"])
if not quiet:
    print("not quiet yet")
    sys.exit(2)
nodes = [n for n in os.listdir(os.path.join(lab, "nodes")) if n != "DPM01"]
hosts = hostfile.read_hosts(lab, nodes)
data = open(os.path.join(lab, "nodes", "DPM01", "DataSourceGroups.xml"), "rb").read()
diffs = []
groups = oracle.parse_dsgroups(data)
for cl in sorted({h["cluster"] for h in hosts.values()}):
    exp = oracle.Expected({n: h for n, h in hosts.items() if h["cluster"] == cl})
    got = {name[len(cl) + 1:]: {"ids": [m[0] for m in members], "vols": None}
           for name, members in groups.items() if name.startswith(cl + "/")}
    diffs += oracle._compare_partition(exp, got, cl)
for name, members in groups.items():
    if "/" not in name and not {m[0] for m in members} <= FOREIGN_IDS:
        diffs.append("group %s is neither a cluster's nor foreign" % name)
text = data[2:].decode("utf-16-le")
at = -1
for line in FOREIGN:
    i = text.find(line + "\r\n")
    if i < 0:
        diffs.append("foreign entry changed or lost: %s" % line.strip())
    elif i < at:
        diffs.append("foreign entry out of order: %s" % line.strip())
    at = max(at, i)
if diffs:
    print("\n".join(diffs))
    sys.exit(1)
PY
check() {
	local step=$1 rc
	for _ in $(seq 1 200); do
		HVP_SRC="$HVP_SRC" python3 "$TMP/check.py" "$LAB" "$CLI" >"$TMP/diffs" 2>&1
		rc=$?
		[ "$rc" = 0 ] && return 0
		sleep 0.2
	done
	fail "after $step: DPM01's file is not the union of the plans: $(cat "$TMP/diffs")"
	return 1
}
check "apply" && ok "the file is both clusters' plans plus the foreign entries"

python3 - "$SEED" "$STEPS" >"$TMP/steps" <<'PY'
import random, sys
r = random.Random(int(sys.argv[1]))
nodes = {1: ["HV01", "HV02"], 2: ["HV03", "HV04"]}
guests = {1: ["VM%04d" % i for i in range(1, 9)],
          2: ["VM%04d" % i for i in range(9, 17)]}
vols = ["Volume1", "Volume2", "Volume3"]
made = 0
for i in range(int(sys.argv[2])):
    c = 1 + i % 2
    kind = r.choice(["migrate", "migrate", "move", "move", "across", "new"])
    if kind == "across" and guests[c]:
        g = r.choice(guests[c])
        guests[c].remove(g)
        guests[3 - c].append(g)
        print("migrate %s %s" % (g, r.choice(nodes[3 - c])))
    elif kind == "new":
        made += 1
        g = "NEW%02d" % made
        guests[c].append(g)
        print("add-guest %s %s --csv %s" % (r.choice(nodes[c]), g,
              ",".join(sorted(r.sample(vols, r.randint(1, 2))))))
        if made % 2 == 0:
            old = r.choice(guests[c][:-1])
            guests[c].remove(old)
            print("remove-guest %s" % old)
    elif kind == "move":
        print("move-storage %s %s" % (r.choice(guests[c]),
              ",".join(sorted(r.sample(vols, r.randint(1, 2))))))
    else:
        print("migrate %s %s" % (r.choice(guests[c]), r.choice(nodes[c])))
# Whatever the seed: a guest deleted (its entry, which hvpolicy wrote, must
# go) and one created in each cluster.
print("remove-guest %s" % guests[1][0])
print("add-guest HV02 LAST1 --csv Volume2")
print("add-guest HV04 LAST2 --csv Volume1,Volume2")
PY
n=0
while read -r cmd args; do
	n=$((n + 1))
	# A migration to the node that runs the guest already is refused:
	# nothing changed, nothing to check.
	labcmd "$cmd" $args >"$TMP/step.out" 2>&1 ||
	    grep -q "already runs on" "$TMP/step.out" ||
	    fail "step $n: $cmd $args: $(cat "$TMP/step.out")"
	check "step $n ($cmd $args)" || break
done <"$TMP/steps"
[ "$n" -ge "$((STEPS + 3))" ] && ok "$n steps: the file matched the oracle at every quiet moment"

# --- status and drift name each cluster ---------------------------------
hvp status --format json >"$TMP/st.json"
jq_py 'sum(1 for n in d["nodes"] if n["name"] == "DPM01") == 2 and set(n["cluster"] for n in d["nodes"]) == {"LAB-CLUSTER-1", "LAB-CLUSTER-2"}' \
    <"$TMP/st.json" | grep -q true && ok "status shows DPM01 under each cluster" ||
    fail "status: $(cat "$TMP/st.json")"
jq_py 'all(c["plan"]["heldByDpmServer"] for c in d["clusters"])' <"$TMP/st.json" |
    grep -q true && ok "status: each cluster's part held by DPM01" ||
    fail "status clusters: $(cat "$TMP/st.json")"
hvp drift --cluster LAB-CLUSTER-2 --format json |
    jq_py 'len(d) > 0 and all("LAB-CLUSTER-2" in r["cluster"] for r in d)' | grep -q true &&
    ok "drift --cluster shows that cluster's records" || fail "drift --cluster"
finish
