#!/usr/bin/env bash
# Versions, help and completions: every program answers --version with
# "NAME VERSION" (the project() version); every verb the CLI dispatches
# has `hvpolicy help VERB` and `hvpolicy VERB --help` (exit 0, usage,
# options, example), every option its help names is one the verb takes,
# every option the CLI's sources parse is in some verb's help, and the
# generated bash and zsh completions name every verb and option; every
# hvpolicy-lab command answers --help. A verb added without its help or
# completion fails here.
set -uo pipefail

: "${HVP_BIN:?HVP_BIN must name the build directory}"
: "${HVP_SRC:?HVP_SRC must name the source directory}"
hvpolicy=$HVP_BIN/cli/hvpolicy
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
not_ok() { failed=$((failed + 1)); echo "FAIL: $*"; }

version=$(sed -n 's/^project(hvpolicy VERSION \([0-9.]*\).*/\1/p' \
	"$HVP_SRC/CMakeLists.txt")
[ -n "$version" ] && ok "project() version $version" ||
	not_ok "no version in project()"
for p in cli/hvpolicy controller/hvpolicy-controller node/hvpolicy-node \
    lab/hvpolicy-lab bench/hvpolicy-loadnode; do
	name=${p#*/}
	out=$("$HVP_BIN/$p" --version 2>&1)
	[ $? = 0 ] && [ "$out" = "$name $version" ] &&
		ok "$name --version" || not_ok "$name --version: '$out'"
done

# The verbs main.c dispatches (its table is the truth).
mapfile -t verbs < <(sed -n 's/^\t{ "\([a-z-]*\)", cmd_[a-z_]* },$/\1/p' \
	"$HVP_SRC/cli/main.c")
[ ${#verbs[@]} -ge 12 ] && ok "${#verbs[@]} verbs in cli/main.c" ||
	not_ok "expected at least 12 verbs in cli/main.c, found ${#verbs[@]}"
"$hvpolicy" completion bash >"$work/bash" && bash -n "$work/bash" &&
	ok "bash completion parses" || not_ok "bash completion"
"$hvpolicy" completion zsh >"$work/zsh" || not_ok "zsh completion"
if command -v zsh >/dev/null; then
	zsh -n "$work/zsh" && ok "zsh completion parses" ||
		not_ok "zsh completion does not parse"
fi
"$hvpolicy" help >"$work/overview" && ok "help: exit 0" ||
	not_ok "help: exit $?"

# A value an option accepts, so that only an unknown option is refused.
value_for() {	# VERB OPTION HELPTEXT
	case $2 in
	format) sed -n "s/.*--format FORMAT .*: \([a-z-]*\).*/\1/p" "$3" |
		head -1 ;;
	file|socket|admin-key|controller-key) echo /dev/null ;;
	out) echo "$work" ;;
	since) echo 1h ;;
	*) echo 1 ;;
	esac
}

for v in "${verbs[@]}"; do
	"$hvpolicy" help "$v" >"$work/help.$v" 2>&1 || not_ok "help $v: exit $?"
	"$hvpolicy" "$v" --help >"$work/help2.$v" 2>&1 ||
		not_ok "$v --help: exit $?"
	if grep -q "^usage: hvpolicy $v" "$work/help.$v" &&
	    grep -q "^example:" "$work/help.$v" &&
	    cmp -s "$work/help.$v" "$work/help2.$v"; then
		ok "help $v = $v --help (usage, example)"
	else
		not_ok "help $v"
		cat "$work/help.$v"
	fi
	grep -q "^  $v " "$work/overview" || not_ok "help does not list $v"
	grep -q "^	$v)" "$work/bash" && grep -q "^		$v)" "$work/zsh" &&
		ok "completions know $v" || not_ok "completions miss $v"
	# Every option in the verb's help is accepted by the verb.
	for o in $(sed -n '/^options:/,/^$/s/^  --\([a-z-]*\).*/\1/p' \
	    "$work/help.$v"); do
		grep -q -- "--$o" "$work/bash" || not_ok "bash misses --$o"
		if grep -q "^  --$o  *[A-Z]" "$work/help.$v"; then
			set -- "--$o" "$(value_for "$v" "$o" "$work/help.$v")"
		else
			set -- "--$o"
		fi
		HVPOLICY_SOCKET=$work/none timeout 20 "$hvpolicy" "$v" "$@" \
		    >/dev/null 2>"$work/err" </dev/null
		if grep -q "unknown option" "$work/err"; then
			not_ok "$v refuses --$o that its help names"
		else
			ok "$v takes --$o"
		fi
	done
done

# Every option a verb parses (cli_opt tables in cli/*.c) is in some help.
for o in $(grep -ho '{ "[a-z-]*", \(true\|false\), ' "$HVP_SRC"/cli/*.c |
    sed 's/{ "\([a-z-]*\)".*/\1/' | sort -u); do
	grep -q -- "--$o" "$work"/help.* && ok "--$o is documented" ||
		not_ok "--$o is parsed but in no verb's help"
done

"$hvpolicy" help no-such-verb >/dev/null 2>&1
[ $? = 64 ] && ok "help of an unknown verb: 64" || not_ok "help no-such-verb"

# hvpolicy-lab: every command's --help.
mapfile -t cmds < <("$HVP_BIN/lab/hvpolicy-lab" help | awk '/^  [a-z]/ { print $1 }')
[ ${#cmds[@]} -ge 10 ] && ok "${#cmds[@]} lab commands" ||
	not_ok "lab commands: ${#cmds[@]}"
for c in "${cmds[@]}"; do
	out=$("$HVP_BIN/lab/hvpolicy-lab" "$c" --help 2>&1)
	[ $? = 0 ] && [[ $out == usage:* ]] && [[ $out == *example:* ]] &&
		ok "hvpolicy-lab $c --help" ||
		not_ok "hvpolicy-lab $c --help: $out"
done

echo "passed $passed, failed $failed"
[ "$failed" = 0 ]
