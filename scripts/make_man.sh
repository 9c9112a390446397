#!/usr/bin/env bash
# make_man.sh DLFUSION VERSION — the dlfusion(1) man page, written to stdout from the CLI's own
# --help texts (`dlfusion --help` and `dlfusion COMMAND --help`), so the page cannot drift from them.
set -euo pipefail
bin=$1
version=$2
# roff: a leading '.' or "'" would be a request, a backslash an escape
esc() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }
echo ".TH DLFUSION 1 \"\" \"dlfusion $version\" \"User Commands\""
echo ".SH NAME"
echo "dlfusion \\- auto-tuning layer-fusion compiler and runtime for CNN inference"
echo ".SH SYNOPSIS"
echo ".nf"
"$bin" --help | sed -n '1p' | sed 's/^usage: //' | esc
echo ".fi"
echo ".SH DESCRIPTION"
echo ".nf"
"$bin" --help | sed '1d' | esc
echo ".fi"
echo ".SH COMMANDS"
for cmd in $("$bin" --help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF {print $1}'); do
  echo ".SS $cmd"
  echo ".nf"
  "$bin" "$cmd" --help | esc
  echo ".fi"
done
echo ".SH SEE ALSO"
echo "The C API: dlfusion.h; the Python package: import dlfusion."
