#!/bin/bash
# Hostile guest names do not hold up the plan: guests named with an
# escape sequence, a C1 control, a tab, and a 64,000-byte name, made by
# the lab on real hosts, are reported unplanned with the reason (names
# shown escaped and short); every other guest stays planned and DPM01's
# DataSourceGroups.xml keeps being rewritten, holding exactly them; the
# controller's log carries no raw control character.
set -u
. "$(dirname "$0")/cluster.sh"

"$LABBIN" init "$LAB" --nodes 2 --csvs 2 --guests 4 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }
write_policy "$TMP/ss.yaml" system-software enforce
hvp apply -f "$TMP/ss.yaml" --wait --timeout 60 >/dev/null || fail "apply"
dsg="$LAB/nodes/DPM01/DataSourceGroups.xml"

held() {
	[ "$(hvp status --format json | jq_py 'd["plan"]["heldByDpmServer"]')" = true ]
}
planned() {
	hvp serialization --format json |
	    jq_py '" ".join(sorted(g["name"] for grp in d["groups"] for g in grp["guests"]))'
}
unplanned_count() {
	hvp serialization --format json | jq_py 'len(d["unplanned"])'
}
wait_until 30 held || fail "plan not held before the hostile guests"
before=$(planned)
echo "planned before: $before"

# The lab adds the new guests to the Hyper-V nodes; one plain guest too,
# so the plan must change (and be written) while the hostile ones exist.
printf 'evil\033]0;pwned\007name' >"$TMP/esc"
printf 'c1\302\233[31mred' >"$TMP/c1"
printf 'tab\there' >"$TMP/tab"
head -c 64000 /dev/zero | tr '\0' 'L' >"$TMP/long"
labcmd add-guest HV01 --name-file "$TMP/esc" --csv Volume1 >/dev/null 2>"$TMP/warn" ||
    fail "add-guest with ESC"
grep -q "will leave this guest unplanned" "$TMP/warn" &&
    ok "the lab warns that the name breaks the rule" || fail "no lab warning: $(cat "$TMP/warn")"
labcmd add-guest HV02 --name-file "$TMP/c1" --csv Volume2 >/dev/null 2>&1 || fail "add-guest with C1"
labcmd add-guest HV01 --name-file "$TMP/tab" --csv Volume1,Volume2 >/dev/null 2>&1 || fail "add-guest with tab"
labcmd add-guest HV02 --name-file "$TMP/long" --csv Volume1 >/dev/null 2>&1 || fail "add-guest 64,000 bytes"
labcmd add-guest HV01 VM-NEW --csv Volume2 >/dev/null || fail "add-guest VM-NEW"
labcmd add-guest HV01 'bad|name' --csv Volume2 >/dev/null 2>&1 &&
    fail "the lab took a name Windows cannot hold" || ok "the lab refuses a name Windows cannot hold"

if wait_until 60 sh -c "[ \"\$('$CLI' --socket '$LAB/controller/control.sock' serialization --format json |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"unplanned\"]))')\" = 4 ]"; then
	ok "four hostile guests unplanned"
else
	fail "unplanned guests: $(unplanned_count)"
fi
hvp serialization --format json >"$TMP/plan.json"
reasons=$(jq_py '"|".join(sorted(u["reason"] for u in d["unplanned"]))' <"$TMP/plan.json")
echo "reasons: $reasons"
echo "$reasons" | grep -q "name has control character U+001B at character 5" &&
    echo "$reasons" | grep -q "name has control character U+0009 at character 4" &&
    ok "reasons name the character and where" || fail "unexpected reasons: $reasons"
echo "$reasons" | grep -q "name has control character U+009B at character 3" &&
    ok "C1 control (U+009B) refused" || fail "C1 reason missing"
echo "$reasons" | grep -q "name is longer than 100 characters" &&
    ok "64,000-byte name refused as too long" || fail "length reason missing"
[ "$(jq_py 'max(len(u["name"]) for u in d["unplanned"])' <"$TMP/plan.json")" -lt 200 ] &&
    ok "unplanned names are shown short" || fail "an unplanned name is long"
jq_py 'any("\\x1B]0;pwned\\x07" in u["name"] for u in d["unplanned"])' <"$TMP/plan.json" | grep -q true &&
    ok "unplanned names are shown escaped" || fail "escaped name not found"

want=$(printf '%s\n' $before VM-NEW | LC_ALL=C sort | xargs)
wait_until 30 sh -c "[ \"\$('$CLI' --socket '$LAB/controller/control.sock' serialization --format json |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(\" \".join(sorted(g[\"name\"] for grp in d[\"groups\"] for g in grp[\"guests\"])))')\" = '$want' ]" &&
    ok "every other guest planned, VM-NEW added" || fail "planned now: $(planned)"
wait_until 30 held && ok "DPM01 holds the new plan" || fail "DPM01 does not hold the plan"
xml=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().decode("utf-16"))' "$dsg")
for g in $before VM-NEW; do
	echo "$xml" | grep -q "DataSourceName=\"$g\"" || fail "$g missing from DataSourceGroups.xml"
done
[ "$(echo "$xml" | grep -c '<Group ')" = "$(( $(echo "$before" | wc -w) + 1 ))" ] &&
    ok "DataSourceGroups.xml holds exactly the planned guests" || fail "DataSourceGroups.xml: $xml"
hvp serialization --format dpm-xml >"$TMP/cli.xml"
cmp -s "$TMP/cli.xml" "$dsg" && ok "serialization --format dpm-xml equals DPM01's file" ||
    fail "dpm-xml output differs from DPM01's file"
[ "$(wc -c <"$dsg")" -lt 10000 ] && ok "no long name went into the file" || fail "the file is $(wc -c <"$dsg") bytes"
for f in "$LAB"/controller/controller.log "$LAB"/nodes/*/node.log; do
	if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$f"; then
		fail "raw control character in $f"
	fi
done
ok "no raw control character in the daemons' logs"
finish
