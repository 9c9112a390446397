#!/usr/bin/env bash
# tests/install/run.sh — the library as users get it: `make install` into a temporary prefix
# (and a DESTDIR staging), then against the installed files only: the exported symbols are the
# header's DLF_API functions, the README's C example builds with pkg-config as C11 and as C++
# (and statically) and runs, the CLI and its man page are there, and the Python package's tests
# (tests/install/test_python.py) pass. BUILD comes from $DLF_BUILD (tests/run_all.sh).
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${DLF_BUILD:-build}
py=/usr/bin/python3
pass=0
fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1${2:+: $2}"; fail=$((fail + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/usr

if make --no-print-directory -s BUILD="$build" install PREFIX="$prefix" >"$tmp/install.log" 2>&1; then
  ok install
else
  bad install "$(tail -n 5 "$tmp/install.log")"
  echo "$pass passed, $fail failed"
  exit 1
fi
for f in include/dlfusion.h lib/libdlfusion.so.0 lib/libdlfusion.so lib/libdlfusion.a bin/dlfusion \
  lib/pkgconfig/dlfusion.pc share/man/man1/dlfusion.1 lib/python3/dist-packages/dlfusion/__init__.py; do
  [ -e "$prefix/$f" ] || bad "installed_$f" "missing"
done

# DESTDIR stages the same tree under another root, naming the final prefix inside.
if make --no-print-directory -s BUILD="$build" install PREFIX=/opt/dlf DESTDIR="$tmp/stage" \
  >"$tmp/stage.log" 2>&1 && [ -x "$tmp/stage/opt/dlf/bin/dlfusion" ] &&
  grep -qx 'prefix=/opt/dlf' "$tmp/stage/opt/dlf/lib/pkgconfig/dlfusion.pc" &&
  grep -q '"/opt/dlf/lib/libdlfusion.so.0"' "$tmp/stage/opt/dlf/lib/python3/dist-packages/dlfusion/_installed.py"; then
  ok destdir_staging
else
  bad destdir_staging "$(tail -n 3 "$tmp/stage.log")"
fi

# SONAME and version
so=$(readlink -f "$prefix/lib/libdlfusion.so")
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
version=$(sed -n 's/^#define DLF_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/dlfusion.h")
if [ "$soname" = "libdlfusion.so.${version%%.*}" ] && [ "$(basename "$so")" = "libdlfusion.so.$version" ]; then
  ok "soname_$soname"
else
  bad soname "soname '$soname', file $(basename "$so"), version $version"
fi

# Exported: exactly the functions the header marks DLF_API, all dlf_.
nm -D --defined-only "$so" | awk '{print $3}' | sort >"$tmp/exported"
grep -oE '^DLF_API [^(]*\bdlf_[a-z0-9_]+\(' "$prefix/include/dlfusion.h" |
  grep -oE 'dlf_[a-z0-9_]+\($' | tr -d '(' | sort >"$tmp/declared"
if [ -s "$tmp/exported" ] && ! grep -qv '^dlf_' "$tmp/exported" && cmp -s "$tmp/exported" "$tmp/declared"; then
  ok "exports_only_the_api ($(wc -l <"$tmp/exported") symbols)"
else
  bad exports_only_the_api "$(diff "$tmp/declared" "$tmp/exported" | head -n 10 | tr '\n' ' ')"
fi

# The README's C example, built with pkg-config against the install.
awk '/^## C API/ {s = 1} s && /^```c$/ {c = 1; next} c && /^```$/ {exit} c' README.md >"$tmp/app.c"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cflags=$(pkg-config --cflags dlfusion) libs=$(pkg-config --libs dlfusion)
run_example() { # name compiler flags...
  local name=$1
  shift
  if ! "$@" >"$tmp/$name.log" 2>&1; then
    bad "$name" "$(head -n 5 "$tmp/$name.log")"
    return
  fi
  if out=$("$tmp/$name" 2>&1) && grep -qE '^[0-9]+ layers, class [0-9]+$' <<<"$out"; then
    echo "$out" >"$tmp/$name.out"
    ok "$name"
  else
    bad "$name" "$out"
  fi
}
run_example readme_c11 cc -std=c11 -Wall -Wextra -Werror -pedantic "$tmp/app.c" $cflags $libs \
  -Wl,-rpath,"$prefix/lib" -o "$tmp/readme_c11"
run_example readme_cxx g++ -std=c++17 -Wall -Wextra -Werror -x c++ "$tmp/app.c" $cflags $libs \
  -Wl,-rpath,"$prefix/lib" -o "$tmp/readme_cxx"
run_example readme_static cc -std=c11 "$tmp/app.c" $cflags "$prefix/lib/libdlfusion.a" \
  $(pkg-config --libs libprotobuf-c libcjson) -lm -lpthread -o "$tmp/readme_static"
if [ -f "$tmp/readme_c11.out" ] && cmp -s "$tmp/readme_c11.out" "$tmp/readme_cxx.out" &&
  cmp -s "$tmp/readme_c11.out" "$tmp/readme_static.out"; then
  ok readme_examples_agree
else
  bad readme_examples_agree "C, C++ and static builds printed different results"
fi
# (output captured first: under pipefail, grep -q quitting early can fail ldd with SIGPIPE)
linked=$(ldd "$tmp/readme_c11")
if grep -qF "$prefix/lib/libdlfusion.so.0" <<<"$linked"; then
  ok readme_c11_uses_installed_library
else
  bad readme_c11_uses_installed_library "$(grep dlfusion <<<"$linked")"
fi

# The CLI and its man page.
if [ "$("$prefix/bin/dlfusion" --version)" = "dlfusion $version" ] ||
  grep -qF "$version" <<<"$("$prefix/bin/dlfusion" --version)"; then
  ok cli_version
else
  bad cli_version "$("$prefix/bin/dlfusion" --version 2>&1)"
fi
man1=$prefix/share/man/man1/dlfusion.1
if grep -q '^\.SH COMMANDS' "$man1" && [ "$(grep -c '^\.SS ' "$man1")" -ge 8 ] &&
  grep -q -- '--max-tensor-bytes' "$man1"; then
  ok man_page
else
  bad man_page "$(head -n 3 "$man1")"
fi

# The Python package, from the install only.
cc -std=c11 -I"$prefix/include" tests/install/layout.c -o "$tmp/layout" || bad layout_build
unset DLFUSION_LIBRARY
PYTHONPATH=$prefix/lib/python3/dist-packages $py tests/install/test_python.py "$prefix" \
  "$prefix/bin/dlfusion" "$tmp/layout" >"$tmp/python.log" 2>&1
cat "$tmp/python.log" | grep -vE '^[0-9]+ passed, [0-9]+ failed'
last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/python.log" | tail -n 1)
if [ -n "$last" ]; then
  pass=$((pass + ${last%% passed*}))
  f=${last#*passed, }
  fail=$((fail + ${f%% failed*}))
else
  bad python "$(tail -n 5 "$tmp/python.log")"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
