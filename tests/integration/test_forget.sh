#!/bin/bash
# `hvpolicy forget NODE` with real daemons: a node that left the cluster
# (its daemon stopped) keeps its guests planned and its drift open until
# it is forgotten; forgetting an online or unknown node is refused; once
# forgotten, its guests leave the plan and DPM01's file (checked against
# the host files, not the controller's own output), it leaves `status`,
# its open drift is resolved with the history kept, a `node` event says
# so; a daemon started again under that name comes back as a new node.
set -u
. "$(dirname "$0")/cluster.sh"

"$LABBIN" init "$LAB" --nodes 2 --csvs 2 --guests 6 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }
write_policy "$TMP/audit.yaml" system-software audit
hvp apply -f "$TMP/audit.yaml" --wait --timeout 60 >/dev/null || fail "apply"
dsg="$LAB/nodes/DPM01/DataSourceGroups.xml"

# The guest ids each host file lists (lowercase), from the lab's files.
host_ids() {
	labcmd show "$1" --format json |
	    jq_py '" ".join(sorted(str(g["id"]).lower() for g in d["guests"]))'
}
# The guest ids DPM01's file holds.
file_ids() {
	python3 - "$dsg" <<'PY'
import re, sys
text = open(sys.argv[1], "rb").read()[2:].decode("utf-16-le")
print(" ".join(sorted(m.lower() for m in re.findall(r'ComponentName="([^"]+)"', text))))
PY
}
plan_ids() {
	hvp serialization --format json |
	    jq_py '" ".join(sorted(g["id"].lower() for grp in d["groups"] for g in grp["guests"]))'
}
all_of() {	# all_of "A B" "X Y Z": every word of $1 is a word of $2
	for w in $1; do case " $2 " in *" $w "*) ;; *) return 1 ;; esac; done
}
none_of() {
	for w in $1; do case " $2 " in *" $w "*) return 1 ;; esac; done
}
hv1=$(host_ids HV01)
hv2=$(host_ids HV02)
[ -n "$hv1" ] && [ -n "$hv2" ] || { fail "the lab's hosts list no guests"; finish; }

# An open drift on HV02: audit mode reports the strategy's missing key
# and does not correct it.
hv2_open() {
	hvp drift --node HV02 --open --format json | jq_py 'len(d)'
}
hv2_has_open() { [ "$(hv2_open)" -gt 0 ]; }
wait_until 30 hv2_has_open && ok "HV02 has open drift" || fail "no open drift on HV02"
n_open=$(hv2_open)

# --- refused while online, or unknown ------------------------------------
hvp forget HV02 >/dev/null 2>"$TMP/online.err"; rc=$?
[ "$rc" = 1 ] && grep -q "HV02 is online" "$TMP/online.err" &&
    ok "forget of an online node refused (exit 1)" ||
    fail "forget online: exit $rc: $(cat "$TMP/online.err")"
hvp forget HV99 >/dev/null 2>"$TMP/unknown.err"; rc=$?
[ "$rc" = 1 ] && grep -q "no node HV99" "$TMP/unknown.err" &&
    ok "forget of an unknown node refused (exit 1)" ||
    fail "forget unknown: exit $rc: $(cat "$TMP/unknown.err")"

# --- stopped: still planned, still listed --------------------------------
labcmd stop-node HV02 >/dev/null || fail "stop-node HV02"
hv2_offline() {
	[ "$(hvp status --format json | jq_py '[n["online"] for n in d["nodes"] if n["name"] == "HV02"] == [False]')" = true ]
}
wait_until 30 hv2_offline && ok "HV02 offline" || fail "HV02 not offline"
# Enforce now: DPM01 writes its file (HV02, offline, keeps its drift open).
write_policy "$TMP/enforce.yaml" system-software enforce
hvp apply -f "$TMP/enforce.yaml" --wait --timeout 60 >/dev/null || fail "apply enforce"
has_file() { [ -s "$dsg" ] && all_of "$hv1" "$(file_ids)"; }
wait_until 30 has_file || fail "DPM01 wrote no file"
[ "$(hv2_open)" = "$n_open" ] || fail "HV02's open drift changed while it was offline"
all_of "$hv2" "$(plan_ids)" && all_of "$hv2" "$(file_ids)" &&
    ok "an offline node's guests stay planned and in DPM01's file" ||
    fail "HV02's guests left the plan while it was only offline"

# --- forgotten -------------------------------------------------------------
hvp forget HV02 >"$TMP/forget.out" 2>&1; rc=$?
[ "$rc" = 0 ] && grep -q "forgot HV02" "$TMP/forget.out" && ok "forget HV02 (exit 0)" ||
    fail "forget HV02: exit $rc: $(cat "$TMP/forget.out")"
gone_from_file() { none_of "$hv2" "$(file_ids)" && all_of "$hv1" "$(file_ids)"; }
if wait_until 30 gone_from_file && none_of "$hv2" "$(plan_ids)" && all_of "$hv1" "$(plan_ids)"; then
	ok "HV02's guests left the plan and DPM01's file; HV01's stay"
else
	fail "after forget: plan [$(plan_ids)] file [$(file_ids)], HV02 listed [$hv2]"
fi
[ "$(hvp status --format json | jq_py '[n["name"] for n in d["nodes"]]')" = "['DPM01', 'HV01']" ] &&
    ok "status no longer lists HV02" || fail "status: $(hvp status --format json)"
[ "$(hv2_open)" = 0 ] && ok "HV02's open drift resolved" || fail "HV02 still has open drift"
kept=$(hvp drift --node HV02 --format json |
    jq_py 'sum(1 for r in d if r["status"] == "resolved" and "forgotten" in (r.get("action") or ""))')
[ "$kept" = "$n_open" ] && ok "its $n_open record(s) kept, resolved by forget" ||
    fail "resolved-by-forget records: $kept, expected $n_open"
hvp events --type node --node HV02 --format json |
    jq_py 'any(e.get("forgotten") for e in d)' | grep -q true &&
    ok "a node event says HV02 was forgotten" || fail "no forgotten event"

# --- its daemon started again: a new node ----------------------------------
labcmd start-node HV02 >/dev/null || fail "start-node HV02"
back() { all_of "$hv2" "$(plan_ids)" && all_of "$hv2" "$(file_ids)"; }
wait_until 60 back && ok "HV02's daemon started again: back in status, plan and file" ||
    fail "HV02 did not come back: plan [$(plan_ids)]"
finish
