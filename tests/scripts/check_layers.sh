#!/usr/bin/env bash
# check_layers.sh [ROOT] — dependencies point one way: every #include "layer/..." in src/ must
# name the file's own layer or one the table below lets it use (docs/design.md, "Layers of the
# code"), and tools/ may include only the public header. Also checks itself: a copy of the tree
# with one upward include added must fail. Ends with "N passed, N failed".
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}

# layer: the layers it may include besides itself (lower in the order). Order, bottom up:
# core, ir, frontend, kernels, plan, model, runtime, target, tune, api.
declare -A may_use=(
  [core]=""
  [ir]="core"
  [frontend]="core ir"
  [kernels]="core"
  [plan]="core ir"
  [model]="core ir frontend"
  [runtime]="core ir kernels plan"
  [target]="core ir kernels plan runtime"
  [tune]="core ir kernels plan runtime target model"
  [api]="core ir frontend kernels plan model runtime target tune"
)
# tools/ is a client of the public API; rng.h is header-only (the CLI's random inputs are the
# tests' and the benchmarks').
tools_may="core/rng.h"

# Prints one line per include that goes against the table; returns 1 if there was one.
check_tree() {
  local dir=$1 bad=0 f layer inc target
  while IFS= read -r f; do
    layer=${f#"$dir"/src/}
    layer=${layer%%/*}
    if [ -z "${may_use[$layer]+x}" ]; then
      echo "$f: layer '$layer' is not in the table of tests/scripts/check_layers.sh"
      bad=1
      continue
    fi
    while IFS= read -r inc; do
      target=${inc%%/*}
      [ "$target" = "$layer" ] && continue
      [ -z "${may_use[$target]+x}" ] && continue # not a layer (gen/, cjson/, ...)
      case " ${may_use[$layer]} " in *" $target "*) continue ;; esac
      echo "$f: includes \"$inc\": $layer may not use $target (it may use: ${may_use[$layer]:-nothing})"
      bad=1
    done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]+"([^"]+\/[^"]+)".*/\1/p' "$f")
  done < <(find "$dir/src" -name '*.[ch]' | sort)
  while IFS= read -r f; do
    while IFS= read -r inc; do
      case " $tools_may " in *" $inc "*) continue ;; esac
      echo "$f: includes \"$inc\": tools/ may use only the public header dlfusion.h"
      bad=1
    done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]+"([^"]+\/[^"]+)".*/\1/p' "$f")
  done < <(find "$dir/tools" -name '*.[ch]' | sort)
  return $bad
}

pass=0
fail=0
if check_tree "$root"; then
  echo "ok   the include graph of src/ and tools/ follows the layer order"
  pass=$((pass + 1))
else
  echo "FAIL an include goes up the layer order (above)"
  fail=$((fail + 1))
fi

# The check can fail: the same tree with runtime including api must be refused.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/src" "$root/tools" "$tmp/"
printf '#include "api/model.h"\n' >>"$tmp/src/runtime/memplan.c"
if out=$(check_tree "$tmp") || ! grep -q 'runtime may not use api' <<<"$out"; then
  echo "FAIL an upward include (runtime -> api) was not caught"
  fail=$((fail + 1))
else
  echo "ok   an upward include (runtime -> api) is caught"
  pass=$((pass + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
