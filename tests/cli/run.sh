#!/usr/bin/env bash
# run.sh — checks of the dlfusion command line: exit codes and error messages
# for bad models, files and options, and a few positive runs with known output.
# Uses $DLF_BIN (default build/dlfusion); prints "ok NAME" / "FAIL NAME: ..."
# per case and ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
BIN=${DLF_BIN:-build/dlfusion}
FIX=tests/fixtures/small
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass=0
fail=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

# expect NAME EXIT STDERR_SUBSTRING -- COMMAND...: run, check exit code and
# that stderr contains the substring (case-insensitive; "" = anything).
expect() {
  local name=$1 code=$2 want=$3
  shift 4
  "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  if [ "$rc" -ne "$code" ]; then
    bad "$name" "exit $rc, expected $code; stderr: $(head -c 400 "$TMP/err")"
  elif [ -n "$want" ] && ! grep -qiF -- "$want" "$TMP/err"; then
    bad "$name" "stderr lacks '$want': $(head -c 400 "$TMP/err")"
  elif grep -qE 'AddressSanitizer|runtime error:|LeakSanitizer' "$TMP/err"; then
    bad "$name" "sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$TMP/err")"
  else
    ok "$name"
  fi
}

# same_floats NAME GOT.npy WANT.npy BYTES: the data sections (the last BYTES
# bytes) are identical; the expected values are exact in float32.
same_data() {
  local name=$1 got=$2 want=$3 bytes=$4
  if [ ! -f "$got" ]; then
    bad "$name" "$got was not written"
  elif ! cmp -s <(tail -c "$bytes" "$got") <(tail -c "$bytes" "$want"); then
    bad "$name" "data of $got differs from $want"
  else
    ok "$name"
  fi
}

# out_has NAME PATTERN: the last command's stdout has a line matching PATTERN.
out_has() {
  if grep -qE -- "$2" "$TMP/out"; then
    ok "$1"
  else
    bad "$1" "stdout lacks /$2/: $(head -c 400 "$TMP/out")"
  fi
}

# ---------------------------------------------------------------- bad models
expect missing_model_file 1 "$TMP/nope.onnx" -- "$BIN" info "$TMP/nope.onnx"
: >"$TMP/empty.onnx"
expect empty_model_file 1 "empty.onnx" -- "$BIN" info "$TMP/empty.onnx"
head -c 100 "$FIX/relu_add.onnx" >"$TMP/truncated.onnx"
expect truncated_onnx 1 "truncated.onnx" -- "$BIN" info "$TMP/truncated.onnx"
# 512 pseudo-random bytes, the same on every run
LC_ALL=C awk 'BEGIN { srand(7); for (i = 0; i < 512; i++) printf "%c", int(rand() * 256) }' \
  >"$TMP/random.onnx"
expect random_bytes_onnx 1 "random.onnx" -- "$BIN" info "$TMP/random.onnx"
expect unsupported_op 1 "unsupported operator" -- "$BIN" info "$FIX/unsupported_erf.onnx"
expect unsupported_op_names_node 1 "(Erf)" -- "$BIN" info "$FIX/unsupported_erf.onnx"
expect conv_channel_mismatch 1 "node 'conv' (Conv)" -- \
  "$BIN" info "$FIX/conv_channel_mismatch.onnx"
expect add_not_broadcastable 1 "node 'add' (Add)" -- "$BIN" info "$FIX/add_mismatch.onnx"
expect unknown_zoo_name 1 "nosuchnet" -- "$BIN" info zoo:nosuchnet

# ---------------------------------------------------------------- bad inputs
expect input_npy_wrong_shape 1 "model expects 1x2x2x2" -- \
  "$BIN" run "$FIX/relu_add.onnx" --input "$FIX/relu_add_x_wrong.npy"
printf 'this is not an npy file\n' >"$TMP/text.npy"
expect input_not_npy 1 "text.npy" -- "$BIN" run "$FIX/relu_add.onnx" --input "$TMP/text.npy"
expect input_npy_missing 1 "absent.npy" -- "$BIN" run "$FIX/relu_add.onnx" --input "$TMP/absent.npy"
expect input_unknown_name 1 "no input named 'zz'" -- \
  "$BIN" run "$FIX/relu_add.onnx" --input "zz=$FIX/relu_add_x.npy"
expect too_many_inputs 1 "more inputs given than the model has (1: 'x')" -- \
  "$BIN" run "$FIX/relu_add.onnx" --input "$FIX/relu_add_x.npy" --input "$FIX/relu_add_x.npy"
expect unknown_output_name 1 "no output named 'zz'" -- \
  "$BIN" run "$FIX/relu_add.onnx" --output "zz=$TMP/zz.npy"
expect too_many_outputs 1 "--output number 2, but the model has 1" -- \
  "$BIN" run "$FIX/relu_add.onnx" --output "$TMP/o1.npy" --output "$TMP/o2.npy"
[ ! -e "$TMP/o1.npy" ] && ok too_many_outputs_checked_before_running \
  || bad too_many_outputs_checked_before_running "o1.npy was written"
expect export_onnx_file_unsupported 1 "zoo models" -- \
  "$BIN" export "$FIX/relu_add.onnx" -o "$TMP/re.onnx"

# ------------------------------------------------------------------- usage
expect no_command 2 "usage" -- "$BIN"
expect unknown_command 2 "unknown command 'frobnicate'" -- "$BIN" frobnicate
expect unknown_option_info 2 "--bogus" -- "$BIN" info zoo:resnet18 --bogus
expect unknown_option_run 2 "--bogus" -- "$BIN" run zoo:resnet18 --bogus
expect missing_model_info 2 "missing MODEL" -- "$BIN" info
expect missing_model_run 2 "missing MODEL" -- "$BIN" run
expect missing_option_argument 2 "needs an argument" -- "$BIN" run "$FIX/relu_add.onnx" --input
expect bad_shape_syntax 2 "--shape" -- "$BIN" info zoo:resnet18 --shape input=1x3xx2
expect bad_repeat 2 "--repeat" -- "$BIN" run "$FIX/relu_add.onnx" --repeat 0
expect bad_engine 2 "--engine" -- "$BIN" run "$FIX/relu_add.onnx" --engine warp
expect export_missing_output 2 "missing -o" -- "$BIN" export zoo:resnet18
expect two_models 2 "unexpected argument" -- "$BIN" info a.onnx b.onnx
for cmd in info run export; do
  expect "help_$cmd" 0 "" -- "$BIN" "$cmd" --help
  out_has "help_${cmd}_text" "^usage: dlfusion $cmd"
done
expect help_global 0 "" -- "$BIN" --help
for cmd in info run export; do
  out_has "help_global_lists_$cmd" "^  $cmd "
done
expect version 0 "" -- "$BIN" --version
out_has version_text '^dlfusion [0-9]+\.[0-9]+'

# ---------------------------------------------------------------- positive
# relu_add: y = max(x, 0) + [10, 20] per channel; expected values from numpy.
expect run_relu_add 0 "" -- "$BIN" run "$FIX/relu_add.onnx" --input "$FIX/relu_add_x.npy" \
  --output "$TMP/y.npy"
same_data run_relu_add_values "$TMP/y.npy" "$FIX/relu_add_y.npy" 32
out_has run_prints_shape "^output 'y': float32 1x2x2x2$"
out_has run_prints_time "^time: [0-9.]+ ms"
# by name, reference engine, no passes, repeated
expect run_named_ref 0 "" -- "$BIN" run "$FIX/relu_add.onnx" --input "x=$FIX/relu_add_x.npy" \
  --output "y=$TMP/y2.npy" --engine ref --no-optimize --repeat 3
same_data run_named_ref_values "$TMP/y2.npy" "$FIX/relu_add_y.npy" 32
# top-5 per row of the last dim: row 1 is x = [0, 1.5] + 10, largest first
out_has run_top5 "row 1 top-2: 1:11.5 0:10$"
# a symbolic batch dimension takes the file's batch of 2
expect run_symbolic_batch 0 "" -- "$BIN" run "$FIX/relu_add_batch.onnx" \
  --input "$FIX/relu_add_batch_x.npy" --output "$TMP/yb.npy"
same_data run_symbolic_batch_values "$TMP/yb.npy" "$FIX/relu_add_batch_y.npy" 64
# an int64 .npy binds a shape input as a constant (positionally)
expect run_int64_shape_input 0 "" -- "$BIN" run "$FIX/reshape_input.onnx" \
  --input "$FIX/reshape_input_data.npy" --input "$FIX/reshape_input_shape.npy" \
  --output "$TMP/yr.npy"
same_data run_int64_shape_input_values "$TMP/yr.npy" "$FIX/reshape_input_y.npy" 24
out_has run_int64_shape_input_shape "^output 'y': float32 3x2$"
# random inputs are deterministic for a seed
"$BIN" run "$FIX/relu_add.onnx" --seed 5 --output "$TMP/r1.npy" >/dev/null 2>&1
"$BIN" run "$FIX/relu_add.onnx" --seed 5 --output "$TMP/r2.npy" >/dev/null 2>&1
if [ -f "$TMP/r1.npy" ] && cmp -s "$TMP/r1.npy" "$TMP/r2.npy"; then ok run_seed_deterministic
else bad run_seed_deterministic "two runs with --seed 5 differ"; fi

# info: the last line is machine-readable; resnet18's counts are torchvision's
# (params: sum of p.numel(); MACs: conv and linear, measured with hooks).
expect info_resnet18 0 "" -- "$BIN" info zoo:resnet18
last=$(tail -n 1 "$TMP/out")
if [[ "$last" =~ ^total:\ layers=[0-9]+\ macs=[0-9]+\ params=[0-9]+\ weight_bytes=[0-9]+$ ]]; then
  ok info_last_line_format
else
  bad info_last_line_format "got '$last'"
fi
[[ "$last" == *" params=11689512 "* ]] && ok info_resnet18_params \
  || bad info_resnet18_params "$last"
[[ "$last" == *" macs=1814073344 "* ]] && ok info_resnet18_macs || bad info_resnet18_macs "$last"
out_has info_human_line "^resnet18: 1.81 GMACs, 11.7 M params, peak activations [0-9.]+ MB$"
expect info_shape_override 0 "" -- "$BIN" info zoo:resnet18 --shape input=2x3x224x224
last=$(tail -n 1 "$TMP/out")
[[ "$last" == *" macs=3628146688 "* ]] && ok info_batch2_doubles_macs \
  || bad info_batch2_doubles_macs "$last"
expect info_onnx_fixture 0 "" -- "$BIN" info "$FIX/relu_add.onnx" --no-optimize
[[ "$(tail -n 1 "$TMP/out")" == "total: layers=2 macs=0 params=2 weight_bytes=8" ]] \
  && ok info_onnx_fixture_totals || bad info_onnx_fixture_totals "$(tail -n 1 "$TMP/out")"
# export → import keeps the parameter count
expect export_resnet18 0 "" -- "$BIN" export zoo:resnet18 -o "$TMP/resnet18.onnx"
expect info_exported 0 "" -- "$BIN" info "$TMP/resnet18.onnx"
[[ "$(tail -n 1 "$TMP/out")" == *" params=11689512 "* ]] && ok export_roundtrip_params \
  || bad export_roundtrip_params "$(tail -n 1 "$TMP/out")"

# ------------------------------------------------------------------- bench
expect help_bench 0 "" -- "$BIN" bench --help
out_has help_bench_text "^usage: dlfusion bench"
expect help_global_for_bench 0 "" -- "$BIN" --help
out_has help_global_lists_bench "^  bench "
expect bench_missing_model 2 "missing MODEL" -- "$BIN" bench
expect bench_runs_zero 2 "--runs" -- "$BIN" bench "$FIX/relu_add.onnx" --runs 0
expect bench_runs_not_a_number 2 "--runs" -- "$BIN" bench "$FIX/relu_add.onnx" --runs ten
expect bench_bad_warmup 2 "--warmup" -- "$BIN" bench "$FIX/relu_add.onnx" --warmup -1
expect bench_bad_engine 2 "--engine" -- "$BIN" bench "$FIX/relu_add.onnx" --engine warp
expect bench_missing_file 1 "$TMP/nope.onnx" -- "$BIN" bench "$TMP/nope.onnx"
expect bench_relu_add 0 "" -- "$BIN" bench "$FIX/relu_add.onnx" --runs 5 --warmup 2
out_has bench_prints_median "^median [0-9.e+-]+ ms  min [0-9.e+-]+ ms  p90 [0-9.e+-]+ ms$"
out_has bench_prints_engine "^engine: fast \\((generic|avx2|avx512)\\)"
out_has bench_prints_runs "^runs: 5 timed after 2 warm-up$"
out_has bench_prints_throughput "^throughput: [0-9.]+ runs/s"
expect bench_reference_engine 0 "" -- "$BIN" bench "$FIX/relu_add.onnx" --runs 2 --engine ref
out_has bench_prints_reference_engine "^engine: reference"
# relu's output (8 floats) lives at steps 0-1, add's (the graph output) at
# step 1: two 32-byte tensors live together, each rounded up to 64 bytes.
out_has bench_peak_is_the_planned_arena "^peak activations: .*\(128 B\) in the planned arena"
expect bench_profile 0 "" -- "$BIN" bench "$FIX/relu_add.onnx" --runs 3 --profile --engine ref
out_has bench_profile_layer_0 "^ +0  relu +Relu "
out_has bench_profile_layer_1 "^ +1  add +Add "
out_has bench_profile_sum "^sum of layers: "
expect bench_shape_override 0 "" -- "$BIN" bench "$FIX/relu_add_batch.onnx" --runs 1 \
  --shape x=3x2x2x2
# batch 3: two live tensors of 3x2x2x2 floats (96 B), each rounded up to 128
out_has bench_shape_override_peak "\(256 B\) in the planned arena"

# --------------------------------------------- hostile models (review finds)
HOS=tests/fixtures/hostile
expect constant_of_shape_extra_input 1 "ONNX defines 1" -- "$BIN" run "$HOS/cos_extra_input.onnx" --engine ref
expect constant_with_input 1 "ONNX defines 0" -- "$BIN" run "$HOS/constant_with_input.onnx" --engine ref
expect zero_dim_hides_huge_dim 1 "byte limit" -- "$BIN" run "$HOS/zero_dim_huge_dim.onnx" --engine ref
expect shape_binding_beyond_limit 1 "byte limit" -- \
  "$BIN" run "$HOS/shape_of_input.onnx" --shape x=1x1x4611686018427387905x1 --engine ref
expect concat_of_17_inputs 0 "" -- "$BIN" run "$HOS/concat17.onnx" --engine ref
out_has concat_of_17_inputs_shape "1x17x2x2"
# external data through a symlink that leaves the model's directory
mkdir -p "$TMP/ext" && cp "$HOS/external_symlink.onnx" "$TMP/ext/m.onnx" && ln -sf /etc/passwd "$TMP/ext/lnk"
expect external_data_symlink_escape 1 "outside the model's directory" -- "$BIN" run "$TMP/ext/m.onnx" --engine ref

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
