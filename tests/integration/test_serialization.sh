#!/bin/bash
# Serialization across the cluster with real daemons: the plan follows a
# live migration and a storage move, DPM01's DataSourceGroups.xml is
# rewritten to match and `status` shows it held; a hand edit of
# hvpolicy's entry is corrected while someone else's entry is kept, and a
# file that is not XML is reported, never written over; the lab's DPM agent log evidence gives the expected
# `diagnose` finding; `serialization --format dpm-xml` is the file DPM01
# holds, byte for byte.
set -u
. "$(dirname "$0")/cluster.sh"

"$LABBIN" init "$LAB" --nodes 3 --csvs 3 --guests 12 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }
write_policy "$TMP/ss.yaml" system-software enforce
hvp apply -f "$TMP/ss.yaml" --wait --timeout 60 >/dev/null || fail "apply"
dsg="$LAB/nodes/DPM01/DataSourceGroups.xml"

plan_field() {
	hvp serialization --format json | jq_py "$1"
}
held() {
	[ "$(hvp status --format json | jq_py 'd["plan"]["heldByDpmServer"]')" = true ]
}
gen_is_above() {
	[ "$(plan_field 'd["generation"]')" -gt "$1" ] && held
}
wait_until 30 held && ok "DPM01 holds the plan after apply" || fail "plan not held after apply"
hvp serialization --format dpm-xml >"$TMP/cli.xml"
cmp -s "$TMP/cli.xml" "$dsg" && ok "serialization --format dpm-xml equals DPM01's file" ||
    fail "dpm-xml output differs from DPM01's file"
head -c 2 "$dsg" | od -An -tx1 | grep -q "ff fe" && ok "file is UTF-16LE with BOM" ||
    fail "file has no UTF-16LE BOM"

# --- a live migration: the guest's node changes in the plan -------------
gen=$(plan_field 'd["generation"]')
owner=$(plan_field '[g["node"] for grp in d["groups"] for g in grp["guests"] if g["name"] == "VM0001"][0]')
target=HV02; [ "$owner" = HV02 ] && target=HV03
labcmd migrate VM0001 "$target" >/dev/null || fail "migrate"
if wait_until 30 gen_is_above "$gen" &&
    [ "$(plan_field "[g['node'] for grp in d['groups'] for g in grp['guests'] if g['name'] == 'VM0001'][0]")" = "$target" ]; then
	ok "migration: plan generation advanced, VM0001 on $target, file held"
else
	fail "migration not followed by the plan"
fi

# --- a storage move: VM0002 alone on Volume3 -> a group of its own ------
for g in $(labcmd show HV01 --format json | jq_py '" ".join(x["name"] for x in d["guests"])') \
    $(labcmd show HV02 --format json | jq_py '" ".join(x["name"] for x in d["guests"])') \
    $(labcmd show HV03 --format json | jq_py '" ".join(x["name"] for x in d["guests"])'); do
	[ "$g" = VM0002 ] || labcmd move-storage "$g" Volume1 >/dev/null
done
labcmd move-storage VM0002 Volume3 >/dev/null || fail "move-storage"
want='CSV-Volume3'
if wait_until 30 sh -c "'$CLI' --socket '$LAB/controller/control.sock' serialization --format json | grep -q '$want'" &&
    wait_until 30 held; then
	ok "storage move: VM0002 in its own group $want, file held"
else
	fail "storage move not followed"
fi
python3 - "$dsg" <<'PY' && ok "DPM01's file lists VM0002 in CSV-Volume3" || fail "file content wrong"
import sys
t = open(sys.argv[1], "rb").read().decode("utf-16")
line = [l for l in t.splitlines() if 'DataSourceName="VM0002"' in l]
sys.exit(0 if line and 'GroupName="CSV-Volume3"' in line[0] else 1)
PY

# --- hand edits: hvpolicy's entries are corrected, others' kept ---------
# Someone moves VM0002's entry into a group of their own and adds an entry
# for a guest no node reports (a standalone host's): the first is
# hvpolicy's and corrected, the second is kept as written.
python3 - "$dsg" <<'PY' || fail "hand edit"
import os, sys
p = sys.argv[1]
t = open(p, "rb").read().decode("utf-16")
lines = t.split("\r\n")
i = next(k for k, l in enumerate(lines) if 'DataSourceName="VM0002"' in l)
lines[i] = lines[i].replace('GroupName="CSV-Volume3"', 'GroupName="Hand"')
lines.insert(i, "  <Group GroupName='HV09-local' DataSourceName='SQL01' "
             "WriterId='66841cd4-6ded-4f4b-8f17-fd23f8ddc3de' "
             "ComponentName='{AA000000-0000-0000-0000-0000000000A1}'/>")
open(p + ".tmp", "wb").write(b"\xff\xfe" + "\r\n".join(lines).encode("utf-16-le"))
os.rename(p + ".tmp", p)
PY
vm2_in_volume3() {
	python3 - "$dsg" <<'PY'
import sys
t = open(sys.argv[1], "rb").read().decode("utf-16")
line = [l for l in t.splitlines() if 'DataSourceName="VM0002"' in l]
sys.exit(0 if len(line) == 1 and 'GroupName="CSV-Volume3"' in line[0] else 1)
PY
}
if wait_until 30 vm2_in_volume3 && wait_until 30 held; then
	ok "hand edit of hvpolicy's entry corrected"
else
	fail "hand edit not corrected"
fi
python3 - "$dsg" <<'PY' && ok "the entry hvpolicy does not own is kept as written" ||
import sys
t = open(sys.argv[1], "rb").read().decode("utf-16")
sys.exit(0 if "<Group GroupName='HV09-local' DataSourceName='SQL01' "
         "WriterId='66841cd4-6ded-4f4b-8f17-fd23f8ddc3de' "
         "ComponentName='{AA000000-0000-0000-0000-0000000000A1}'/>" in t else 1)
PY
    fail "foreign entry lost or changed"

# A file that is not XML is never written over: the drift fails, status
# shows the plan not held; once it is moved away, the file comes back.
printf 'hand edited' >"$dsg.tmp" && mv "$dsg.tmp" "$dsg"
failed_file() {
	hvp drift --format json | jq_py 'any(r["kind"] == "serialization-file" and r["status"] == "failed" and "not overwritten" in (r["error"] or "") for r in d)' | grep -q true
}
if wait_until 30 failed_file && ! held; then
	ok "a file that is not XML is reported and not held"
else
	fail "unparsable file not reported"
fi
[ "$(cat "$dsg")" = "hand edited" ] && ok "a file that is not XML is not written over" ||
    fail "unparsable file overwritten"
mv "$dsg" "$TMP/dsg.bad"
if wait_until 30 sh -c "head -c 2 '$dsg' | od -An -tx1 | grep -q 'ff fe'" && wait_until 30 held; then
	ok "the file moved away is written again"
else
	fail "file not written again after moving the bad one away"
fi

# --- 30112 evidence: HV01's DPM agent log ------------------------------
hvp diagnose --format json >"$TMP/diag.json"; rc=$?
[ "$rc" = 2 ] && ok "diagnose exits 2 with findings" || fail "diagnose exit $rc"
jq_py 'any(f["node"] == "HV01" and f["kind"] == "hardware-provider-snapshot" and "2f900f90" in f["evidence"].lower() for f in d)' \
    <"$TMP/diag.json" | grep -q true && ok "diagnose names HV01's hardware provider snapshot" ||
    fail "diagnose finding missing: $(cat "$TMP/diag.json")"
[ "$(hvp status --format json | jq_py 'd["findings"]')" -ge 1 ] && ok "status counts findings" ||
    fail "status findings count"
finish
