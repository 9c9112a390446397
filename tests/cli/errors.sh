#!/usr/bin/env bash
# errors.sh — runs the bad-input table tests/cli/errors.table: each row's command must
# exit with its code and print the row's text on stderr, with no sanitizer report.
# Uses $DLF_BIN (default build/dlfusion) and $DLF_WRAP (a prefix such as valgrind);
# prints "ok NAME" / "FAIL NAME: ..." per row and ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
BIN="${DLF_WRAP:-} ${DLF_BIN:-build/dlfusion}"
FIX=tests/fixtures/small
TABLE=tests/cli/errors.table
T=$(mktemp -d)
E=$T/inputs
trap 'rm -rf "$T"' EXIT

if ! /usr/bin/python3 tests/cli/make_error_inputs.py "$E" >"$T/gen.log" 2>&1; then
  echo "FAIL make_error_inputs: $(tail -n 3 "$T/gen.log")"
  echo "0 passed, 1 failed"
  exit 1
fi

pass=0
fail=0
declare -A seen
while IFS= read -r line; do
  [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
  # NAME | EXIT | TEXT | COMMAND (the text may not contain " | ")
  name=${line%% | *}; rest=${line#* | }
  code=${rest%% | *}; rest=${rest#* | }
  want=${rest%% | *}; cmd=${rest#* | }
  if [ -n "${seen[$name]:-}" ]; then
    echo "FAIL $name: appears twice in $TABLE"; fail=$((fail + 1)); continue
  fi
  seen[$name]=1
  [ "$want" = "-" ] && want=
  want=$(eval "printf '%s' \"$want\"") # the text may name \$E or \$T
  eval "$cmd" >"$T/out" 2>"$T/err"
  rc=$?
  if [ "$rc" -ne "$code" ]; then
    echo "FAIL $name: exit $rc, expected $code; stderr: $(head -c 400 "$T/err")"
    fail=$((fail + 1))
  elif [ -n "$want" ] && ! grep -qiF -- "$want" "$T/err"; then
    echo "FAIL $name: stderr lacks '$want': $(head -c 400 "$T/err")"
    fail=$((fail + 1))
  elif grep -qE 'AddressSanitizer|runtime error:|LeakSanitizer|ERROR SUMMARY: [1-9]' "$T/err"; then
    echo "FAIL $name: sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error|ERROR SUMMARY' "$T/err")"
    fail=$((fail + 1))
  else
    echo "ok $name"
    pass=$((pass + 1))
  fi
done <"$TABLE"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
