#!/usr/bin/env bash
# `hvpolicy validate`: every example policy is valid (exit 0, "FILE: valid");
# every file in tests/data/policies is rejected (exit 1) with exactly the
# FILE:LINE:COL lines of its .expected file on standard error; "-" reads
# standard input; --format json prints one array of error objects; usage
# errors exit 64.
set -uo pipefail

: "${HVP_BIN:?HVP_BIN must name the build directory}"
: "${HVP_SRC:?HVP_SRC must name the source directory}"
hvpolicy=$HVP_BIN/cli/hvpolicy
data=$HVP_SRC/tests/data/policies
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
not_ok() { failed=$((failed + 1)); echo "FAIL: $*"; }

# Runs hvpolicy with stdout, stderr and the exit code kept in $work.
run() {
	"$hvpolicy" "$@" >"$work/out" 2>"$work/err"
	echo $? >"$work/rc"
}
rc() { cat "$work/rc"; }

# Every example policy, one by one and all at once.
shopt -s nullglob
examples=("$HVP_SRC"/policies/*.yaml)
[ ${#examples[@]} -ge 4 ] && ok "found ${#examples[@]} example policies" ||
	not_ok "expected at least 4 example policies, found ${#examples[@]}"
for f in "${examples[@]}"; do
	run validate "$f"
	if [ "$(rc)" = 0 ] && [ "$(cat "$work/out")" = "$f: valid" ] &&
	    [ ! -s "$work/err" ]; then
		ok "valid: $(basename "$f")"
	else
		not_ok "example $(basename "$f"): exit $(rc)"
		cat "$work/err"
	fi
done
run validate "${examples[@]}"
[ "$(rc)" = 0 ] && [ "$(wc -l <"$work/out")" = ${#examples[@]} ] &&
	ok "all examples at once" || not_ok "all examples at once: exit $(rc)"

# Every bad file: exit 1, exactly the expected lines, nothing on stdout.
# Run from the data directory so the file names match the .expected ones.
bad=0
for f in "$data"/*.yaml; do
	name=$(basename "$f")
	expected=${f%.yaml}.expected
	bad=$((bad + 1))
	if [ ! -f "$expected" ]; then
		not_ok "$name has no .expected file"
		continue
	fi
	(cd "$data" && "$hvpolicy" validate "$name" >"$work/out" 2>"$work/err")
	code=$?
	if [ "$code" = 1 ] && diff -u "$expected" "$work/err" >"$work/diff" &&
	    [ ! -s "$work/out" ]; then
		ok "rejected: $name ($(wc -l <"$expected") errors)"
	else
		not_ok "$name: exit $code"
		cat "$work/diff" "$work/out"
	fi
done
[ "$bad" -ge 10 ] && ok "$bad bad files checked" ||
	not_ok "expected at least 10 bad files, found $bad"

# Hostile files are refused quickly: all of them in one run, well under a
# second each even in the sanitizer build.
start=$(date +%s%N)
"$hvpolicy" validate "$data"/*.yaml >/dev/null 2>&1
code=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$code" = 1 ] && [ "$ms" -lt 3000 ] && ok "all bad files in ${ms} ms" ||
	not_ok "all bad files: exit $code in ${ms} ms"

# The broken example of the README is rejected with several errors, each
# in the contract's format.
run validate "$HVP_SRC/policies/broken/rejected-example.yaml"
n=$(grep -c "^$HVP_SRC/policies/broken/rejected-example.yaml:[0-9]*:[0-9]*: error: " "$work/err")
[ "$(rc)" = 1 ] && [ "$n" -ge 5 ] && [ "$n" = "$(wc -l <"$work/err")" ] &&
	ok "rejected example: $n errors" ||
	not_ok "rejected example: exit $(rc), $n error lines"

# A mix: valid files still say so, the exit code is 1, errors are sorted.
run validate "${examples[0]}" "$data/bad-values.yaml"
[ "$(rc)" = 1 ] && grep -qx "${examples[0]}: valid" "$work/out" &&
	[ "$(grep -c ': error: ' "$work/err")" = 5 ] &&
	sort -t: -k2,2n -k3,3n -c "$work/err" 2>/dev/null &&
	ok "valid and invalid together" || not_ok "mix: exit $(rc)"

# Standard input.
"$hvpolicy" validate - <"$HVP_SRC/policies/audit.yaml" >"$work/out" 2>"$work/err"
code=$?
[ "$code" = 0 ] && [ "$(cat "$work/out")" = "<stdin>: valid" ] &&
	ok "stdin: valid" || not_ok "stdin valid: exit $code"
"$hvpolicy" validate - <"$data/bad-serialization.yaml" >"$work/out" 2>"$work/err"
code=$?
[ "$code" = 1 ] && [ "$(cat "$work/err")" = "$(sed 's/^bad-serialization.yaml:/<stdin>:/' "$data/bad-serialization.expected")" ] &&
	ok "stdin: rejected with <stdin> positions" ||
	not_ok "stdin invalid: exit $code: $(cat "$work/err")"
head -c 2000000 /dev/zero | tr '\0' '#' >"$work/big.yaml"
"$hvpolicy" validate - <"$work/big.yaml" >"$work/out" 2>"$work/err"
code=$?
[ "$code" = 1 ] && grep -q '^<stdin>: error: cannot read standard input' "$work/err" &&
	ok "stdin: oversized input refused" || not_ok "stdin big: exit $code"
"$hvpolicy" validate "$work/big.yaml" >"$work/out" 2>"$work/err"
code=$?
[ "$code" = 1 ] && grep -q "larger than" "$work/err" &&
	ok "file: oversized file refused" || not_ok "file big: exit $code"

# JSON: one array for all files, with the contract's fields.
run validate --format json "${examples[@]}"
[ "$(rc)" = 0 ] && [ "$(tr -d ' \n' <"$work/out")" = "[]" ] &&
	ok "json: empty array when all valid" || not_ok "json valid: $(cat "$work/out")"
run validate --format=json "$data/bad-values.yaml" "$data/bad-structure.yaml" "${examples[0]}"
if [ "$(rc)" = 1 ] && [ ! -s "$work/err" ]; then
	if command -v python3 >/dev/null; then
		python3 - "$work/out" "$data" <<'EOF'
import json, sys
errors = json.load(open(sys.argv[1]))
assert isinstance(errors, list) and len(errors) == 10, len(errors)
for e in errors:
    assert set(e) == {"file", "line", "column", "key", "message"}, e
    assert isinstance(e["line"], int) and isinstance(e["column"], int)
first = errors[0]
assert first["file"] == sys.argv[2] + "/bad-values.yaml", first
assert (first["line"], first["column"]) == (5, 9), first
assert first["key"] == "metadata.name", first
assert "Bad_Values" in first["message"], first
status = [e for e in errors if e["key"] == "status"][0]
assert (status["line"], status["column"]) == (13, 1), status
EOF
		[ $? = 0 ] && ok "json: error objects" || not_ok "json: objects"
	else
		grep -q '"key": "metadata.name"' "$work/out" &&
			ok "json: error objects" || not_ok "json: objects"
	fi
else
	not_ok "json invalid: exit $(rc)"
fi

# Usage errors.
for args in "validate" "validate --format yaml $data/empty.yaml" \
    "validate --bogus ${examples[0]}" "validate - -" "validate --format"; do
	# shellcheck disable=SC2086
	run $args
	[ "$(rc)" = 64 ] && [ -s "$work/err" ] && ok "usage: hvpolicy $args -> 64" ||
		not_ok "usage: hvpolicy $args: exit $(rc)"
done
run validate "$data/does-not-exist.yaml"
[ "$(rc)" = 1 ] && grep -q "does-not-exist.yaml" "$work/err" &&
	ok "missing file: exit 1" || not_ok "missing file: exit $(rc)"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
