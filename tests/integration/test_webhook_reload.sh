#!/bin/bash
# SIGHUP reloads the webhooks section with real processes and real HTTP
# receivers (webhook_receiver.py): an unchanged endpoint goes on without
# sending again anything it delivered; a changed one (URL and secret)
# resumes after its last delivered event at the new URL, signed with the
# new secret; an added one starts delivering; a removed one stops; a
# config with errors is logged and the running endpoints are kept.
set -u
. "$(dirname "$0")/cluster.sh"
here=$(cd "$(dirname "$0")" && pwd)

for k in 1 2; do
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/s$k.secret"
	python3 "$here/webhook_receiver.py" "$TMP/port$k" "$TMP/recv$k.jsonl" "$TMP/s$k.secret" 0 &
	echo $! >>"$TMP/recv$k.extra-pid"
	wait_until 20 test -s "$TMP/port$k" || { fail "receiver $k did not start"; finish; }
done
u1="http://127.0.0.1:$(cat "$TMP/port1")"
u2="http://127.0.0.1:$(cat "$TMP/port2")"

"$LABBIN" init "$LAB" --nodes 2 --csvs 1 --guests 3 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
cp "$LAB/controller/controller.yaml" "$TMP/base.yaml"
# endpoint NAME URL SECRET [TYPES]: one entry of the webhooks list.
endpoint() {
	printf '  - name: %s\n    url: %s\n    secretFile: %s\n    maxBackoffSeconds: 1\n' "$1" "$2" "$3"
	[ -n "${4:-}" ] && printf '    types: [%s]\n' "$4"
	return 0
}
config() {
	{ cat "$TMP/base.yaml"; echo "webhooks:"; cat; } >"$LAB/controller/controller.yaml.tmp" &&
	    mv "$LAB/controller/controller.yaml.tmp" "$LAB/controller/controller.yaml"
}
{ endpoint itsm "$u1/itsm" "$TMP/s1.secret"; endpoint chat "$u1/chat" "$TMP/s1.secret" revision; } | config
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }
cpid=$(cat "$LAB/controller/controller.pid")

# requests FILE PATH: requests the receiver got at PATH.
requests() {
	[ -f "$1" ] || { echo 0; return; }
	python3 -c 'import json, sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["path"] == sys.argv[2]))' "$1" "$2"
}
last_seq() {
	hvp events --format json | jq_py 'd[-1]["seq"]'
}
# drained NAMES...: those endpoints are the configured ones, each with no
# backlog and delivered up to the newest event its filter matches.
drained() {
	hvp status --format json | python3 -c '
import json, sys
want = sorted(sys.argv[1:])
hooks = json.load(sys.stdin)["webhooks"]
assert sorted(h["name"] for h in hooks) == want, hooks
assert all(h["backlog"] == 0 and h["retrying"] == 0 for h in hooks), hooks' "$@"
}
reloaded() {
	grep -c "reloaded $LAB/controller/controller.yaml: webhooks" "$LAB/controller/controller.log"
}
# reloaded_more N: more reloads logged than N (a function, so that
# wait_until counts afresh at every try).
reloaded_more() {
	test "$(reloaded)" -gt "$1"
}

write_policy "$TMP/p1.yaml" system-software enforce one
hvp apply -f "$TMP/p1.yaml" --wait --timeout 60 >/dev/null || fail "apply 1"
wait_until 60 drained chat itsm || fail "not drained before the reload: $(hvp status | grep webhook)"
itsm_before=$(requests "$TMP/recv1.jsonl" /itsm)
chat_before=$(requests "$TMP/recv1.jsonl" /chat)

# Reload 1: itsm unchanged, chat moved to another URL and secret, ticket
# added.
{ endpoint itsm "$u1/itsm" "$TMP/s1.secret"; endpoint chat "$u2/chat" "$TMP/s2.secret" revision
  endpoint ticket "$u1/ticket" "$TMP/s1.secret" revision; } | config
kill -HUP "$cpid"
wait_until 30 reloaded_more 0 || fail "no reload logged"
grep -q "webhooks 1 kept, 1 added, 1 changed, 0 removed" "$LAB/controller/controller.log" &&
    ok "reload 1: kept, added, changed counted" || fail "reload 1 log: $(grep reloaded "$LAB/controller/controller.log")"
kill -0 "$cpid" && ok "controller still the same process" || fail "controller restarted"
write_policy "$TMP/p2.yaml" system-software enforce two
hvp apply -f "$TMP/p2.yaml" --wait --timeout 60 >/dev/null || fail "apply 2"
labcmd delete-registry HV01 "$KEY_SSP" >/dev/null
wait_until 60 drained chat itsm ticket || fail "not drained after reload 1: $(hvp status | grep webhook)"
hvp events --format json >"$TMP/all.json"

python3 - "$TMP/recv1.jsonl" "$TMP/recv2.jsonl" "$TMP/all.json" "$itsm_before" "$chat_before" <<'PY' && ok "reload 1: itsm sent nothing twice and got everything; chat resumed at the new URL with the new secret; ticket got the revisions" || fail "reload 1 deliveries do not add up"
import json, sys
r1 = [json.loads(l) for l in open(sys.argv[1])]
r2 = [json.loads(l) for l in open(sys.argv[2])]
events = json.load(open(sys.argv[3]))
itsm_before, chat_before = int(sys.argv[4]), int(sys.argv[5])
def at(recs, path):
    return [r for r in recs if r["path"] == path]
itsm = [int(r["event"]) for r in at(r1, "/itsm")]
assert len(itsm) == len(set(itsm)), "itsm: an event sent twice: %r" % itsm
assert set(itsm) == {e["seq"] for e in events}, "itsm misses events"
assert len(itsm) > itsm_before, "itsm got nothing after the reload"
revs = [e["seq"] for e in events if e["type"] == "revision"]
chat_old = [int(r["event"]) for r in at(r1, "/chat")]
chat_new = [int(r["event"]) for r in at(r2, "/chat")]
assert len(chat_old) == chat_before, "the old chat URL got requests after the reload"
assert chat_old == revs[:1] and chat_new == revs[1:], (chat_old, chat_new, revs)
assert all(r["signed"] for r in at(r2, "/chat")), "chat not signed with its new secret"
ticket = [int(r["event"]) for r in at(r1, "/ticket")]
assert ticket == revs, "ticket: %r, revisions %r" % (ticket, revs)
assert all(r["signed"] for r in r1), "a signature did not verify"
PY

# Reload 2: a config with errors changes nothing.
cp "$LAB/controller/controller.yaml" "$TMP/good.yaml"
{ endpoint itsm "ftp://example/itsm" "$TMP/s1.secret"; } | config
kill -HUP "$cpid"
wait_until 30 grep -q "has errors, not reloading" "$LAB/controller/controller.log" &&
    ok "bad config: logged, not reloaded" || fail "bad config not logged"
grep "has errors, not reloading" "$LAB/controller/controller.log" | grep -q "url" ||
    fail "the error does not name the key: $(grep 'has errors' "$LAB/controller/controller.log")"
hvp status --format json | jq_py 'sorted(h["name"] for h in d["webhooks"])' | grep -q "'chat', 'itsm', 'ticket'" &&
    ok "bad config: the three endpoints are kept" || fail "endpoints after a bad reload: $(hvp status | grep webhook)"

# Reload 3: ticket removed; it gets nothing more.
{ endpoint itsm "$u1/itsm" "$TMP/s1.secret"; endpoint chat "$u2/chat" "$TMP/s2.secret" revision; } | config
n=$(reloaded)
kill -HUP "$cpid"
wait_until 30 reloaded_more "$n" || fail "reload 3 not logged"
grep -q "webhooks 2 kept, 0 added, 0 changed, 1 removed" "$LAB/controller/controller.log" &&
    ok "reload 3: ticket removed" || fail "reload 3 log: $(grep reloaded "$LAB/controller/controller.log" | tail -1)"
ticket_before=$(requests "$TMP/recv1.jsonl" /ticket)
write_policy "$TMP/p3.yaml" system-software enforce three
hvp apply -f "$TMP/p3.yaml" --wait --timeout 60 >/dev/null || fail "apply 3"
wait_until 60 drained chat itsm || fail "not drained after reload 3: $(hvp status | grep webhook)"
[ "$(requests "$TMP/recv1.jsonl" /ticket)" = "$ticket_before" ] &&
    ok "removed endpoint got nothing more" || fail "removed endpoint still delivered"
[ "$(requests "$TMP/recv2.jsonl" /chat)" = 2 ] && ok "chat got revisions 2 and 3 at its new URL" ||
    fail "chat requests: $(requests "$TMP/recv2.jsonl" /chat)"
finish
