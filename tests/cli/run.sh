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
expect unsupported_op 1 "unsupported operator" -- "$BIN" info "$FIX/unsupported_hardmax.onnx"
expect unsupported_op_names_node 1 "(Hardmax)" -- "$BIN" info "$FIX/unsupported_hardmax.onnx"
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
for cmd in info run export plan; do
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

# bench reports the thread count the session resolved, never the "0" of the default
expect bench_default_threads 0 "" -- "$BIN" bench "$FIX/relu_add.onnx" --runs 1
out_has bench_prints_resolved_threads "^engine: fast .*, threads: [1-9][0-9]*$"
expect bench_one_thread 0 "" -- "$BIN" bench "$FIX/relu_add.onnx" --runs 1 --threads 1
out_has bench_prints_one_thread "^engine: fast .*, threads: 1$"
# memory: relu_add's largest layer reads 8 floats and writes 8 (64 B)
expect bench_memory 0 "" -- "$BIN" bench "$FIX/relu_add.onnx" --runs 1
out_has bench_memory_line "^memory: peak_bytes=[0-9]+ largest_layer_io_bytes=64 ratio=[0-9.]+ \(layer '(relu|add)'\)$"
out_has bench_session_memory "^session memory: arena [0-9]+ B \+ scratch [0-9]+ B"

# --isa forces a kernel path, as DLF_ISA does
expect bench_isa_generic 0 "" -- "$BIN" bench "$FIX/relu_add.onnx" --runs 1 --isa generic
out_has bench_isa_generic_engine "^engine: fast \(generic\)"
expect run_isa_generic 0 "" -- "$BIN" run "$FIX/relu_add.onnx" --input "$FIX/relu_add_x.npy" \
  --isa generic --output "$TMP/yg.npy"
same_data run_isa_generic_values "$TMP/yg.npy" "$FIX/relu_add_y.npy" 32
expect bad_isa 2 "--isa wants generic, avx2 or avx512" -- "$BIN" run "$FIX/relu_add.onnx" --isa sse9

# -------------------------------------------------------------- memory (info)
# info's memory line: the planned arena (128 B, see bench above) over the largest layer's
# input + output (64 B); the totals stay the last line.
expect info_memory 0 "" -- "$BIN" info "$FIX/relu_add.onnx"
out_has info_memory_line "^memory: peak_bytes=128 largest_layer_io_bytes=64 ratio=2.000 \(layer '(relu|add)'\)$"
[[ "$(tail -n 1 "$TMP/out")" == total:* ]] && ok info_total_still_last \
  || bad info_total_still_last "$(tail -n 1 "$TMP/out")"

# ------------------------------------------------------------------- plans
expect help_global_for_plan 0 "" -- "$BIN" --help
out_has help_global_lists_plan "^  plan "
expect plan_missing_model 2 "missing MODEL" -- "$BIN" plan
expect plan_unknown_option 2 "--bogus" -- "$BIN" plan "$FIX/relu_add.onnx" --bogus
expect plan_output_needs_argument 2 "needs an argument" -- "$BIN" plan "$FIX/relu_add.onnx" -o
expect plan_cores_not_a_number 2 "--cores" -- "$BIN" plan "$FIX/relu_add.onnx" --cores two
expect plan_cores_negative 2 "--cores" -- "$BIN" plan "$FIX/relu_add.onnx" --cores -1
expect plan_cores_trailing_junk 2 "--cores" -- "$BIN" plan "$FIX/relu_add.onnx" --cores 1x
expect plan_missing_file 1 "$TMP/nope.onnx" -- "$BIN" plan "$TMP/nope.onnx"
# to stdout, and with -o to a file: the same JSON
expect plan_stdout 0 "" -- "$BIN" plan "$FIX/relu_add.onnx"
out_has plan_stdout_is_json '"fingerprint"'
cp "$TMP/out" "$TMP/plan_stdout.json"
expect plan_to_file 0 "" -- "$BIN" plan "$FIX/relu_add.onnx" -o "$TMP/relu_add.plan.json"
out_has plan_to_file_says_where "^wrote $TMP/relu_add.plan.json"
if [ -f "$TMP/relu_add.plan.json" ] && cmp -s <(printf '%s\n' "$(cat "$TMP/relu_add.plan.json")") \
  <(printf '%s\n' "$(cat "$TMP/plan_stdout.json")"); then ok plan_file_equals_stdout
else bad plan_file_equals_stdout "plan -o and plan to stdout differ"; fi
expect plan_output_into_missing_dir 1 "$TMP/nodir/p.json" -- \
  "$BIN" plan "$FIX/relu_add.onnx" -o "$TMP/nodir/p.json"
expect plan_one_core 0 "" -- "$BIN" plan "$FIX/relu_add.onnx" --cores 1 -o "$TMP/relu_add.k1.json"
# a valid plan runs, gives the expected values, and bench/info show its blocks
expect run_plan 0 "" -- "$BIN" run "$FIX/relu_add.onnx" --input "$FIX/relu_add_x.npy" \
  --plan "$TMP/relu_add.plan.json" --output "$TMP/yp.npy"
same_data run_plan_values "$TMP/yp.npy" "$FIX/relu_add_y.npy" 32
expect run_plan_one_core 0 "" -- "$BIN" run "$FIX/relu_add.onnx" --input "$FIX/relu_add_x.npy" \
  --plan "$TMP/relu_add.k1.json" --output "$TMP/yp1.npy"
same_data run_plan_one_core_values "$TMP/yp1.npy" "$FIX/relu_add_y.npy" 32
expect bench_plan 0 "" -- "$BIN" bench "$FIX/relu_add.onnx" --runs 3 --plan "$TMP/relu_add.plan.json"
out_has bench_plan_names_plan "^plan: $TMP/relu_add.plan.json \(2 blocks\)$"
out_has bench_plan_table "^per-block time \(median over 3 runs\):$"
out_has bench_plan_block_0 "^ +0  relu +1 +[0-9]+ +auto +[0-9.e+-]+ +[0-9.]+$"
out_has bench_plan_block_1 "^ +1  add +1 +[0-9]+ +auto +[0-9.e+-]+ +[0-9.]+$"
out_has bench_plan_median "^median [0-9.e+-]+ ms  min [0-9.e+-]+ ms  p90 [0-9.e+-]+ ms$"
expect bench_plan_one_core 0 "" -- "$BIN" bench "$FIX/relu_add.onnx" --runs 1 --plan "$TMP/relu_add.k1.json"
out_has bench_plan_one_core_block "^ +0  relu +1 +1 +auto "
expect info_plan 0 "" -- "$BIN" info "$FIX/relu_add.onnx" --plan "$TMP/relu_add.plan.json"
out_has info_plan_block_0 "^ +0  relu +1 +[0-9]+ +auto +1 +[0-9.]+[KMG]? +0 +0 +0 +1\.00  auto$"
out_has info_plan_blocks "^blocks: 2 \(0 fused\);"
out_has info_plan_memory "^activation memory with the plan: arena [0-9]+ B \+ scratch [0-9]+ B"
[[ "$(tail -n 1 "$TMP/out")" == total:* ]] && ok info_plan_total_still_last \
  || bad info_plan_total_still_last "$(tail -n 1 "$TMP/out")"
# the unfused plan written by `dlfusion plan` runs exactly like no plan (bit for bit)
"$BIN" plan zoo:mobilenet_v2 -o "$TMP/mnv2.json" >/dev/null 2>&1
expect run_zoo_unfused_plan 0 "" -- "$BIN" run zoo:mobilenet_v2 --seed 3 --plan "$TMP/mnv2.json" \
  --output "$TMP/mnv2_plan.npy"
expect run_zoo_no_plan 0 "" -- "$BIN" run zoo:mobilenet_v2 --seed 3 --output "$TMP/mnv2_none.npy"
if [ -f "$TMP/mnv2_plan.npy" ] && cmp -s "$TMP/mnv2_plan.npy" "$TMP/mnv2_none.npy"; then
  ok run_unfused_plan_equals_no_plan
else bad run_unfused_plan_equals_no_plan "outputs with and without the unfused plan differ"; fi
# a fused block (MobileNetV2's features.3 inverted residual: expand, depthwise, project+add)
# on one core, made by editing that plan the way a user would
awk '/"features\.3\.conv\.0\.0"/ { print "    {\"layers\": [\"features.3.conv.0.0\", " \
  "\"features.3.conv.1.0\", \"features.3.conv.2\"], \"cores\": 1, \"tile_rows\": 4," \
  " \"algorithms\": {\"features.3.conv.2\": \"im2col\"}},"; next }
  /"features\.3\.conv\.(1\.0|2)"/ { next } { print }' "$TMP/mnv2.json" >"$TMP/mnv2_fused.json"
expect info_fused_plan 0 "" -- "$BIN" info zoo:mobilenet_v2 --plan "$TMP/mnv2_fused.json"
out_has info_fused_plan_block "^ +6  features\.3\.conv\.0\.0\.\.features\.3\.conv\.2 +3 +1 +4 +14 +[0-9.]+[KMG]? +[0-9.]+[KMG]? +[0-9.]+[KMG]? +[0-9.]+[KMG]? +[0-9.]+  auto,auto,im2col$"
out_has info_fused_plan_count "^blocks: 53 \(1 fused\);"
expect bench_fused_plan 0 "" -- "$BIN" bench zoo:mobilenet_v2 --runs 2 --plan "$TMP/mnv2_fused.json"
out_has bench_fused_plan_block "^ +6  features\.3\.conv\.0\.0\.\.features\.3\.conv\.2 +3 +1 +4 +[0-9.e+-]+ +[0-9.]+$"
expect run_fused_plan 0 "" -- "$BIN" run zoo:mobilenet_v2 --seed 3 --plan "$TMP/mnv2_fused.json"
# fused kernels may round differently from unfused ones: compare the top-5 classes
if [ "$(grep top-5 "$TMP/out" | sed -E 's/:[^ ]+//g')" == \
  "$("$BIN" run zoo:mobilenet_v2 --seed 3 | grep top-5 | sed -E 's/:[^ ]+//g')" ]; then
  ok run_fused_plan_same_top5
else bad run_fused_plan_same_top5 "top-5 classes differ from the unfused run"; fi
# bad plans: another model's, malformed, missing, with the reference engine
expect plan_of_another_model 1 "fingerprint" -- \
  "$BIN" run "$FIX/relu_add.onnx" --plan "$TMP/mnv2.json"
expect plan_of_another_model_info 1 "fingerprint" -- \
  "$BIN" info "$FIX/relu_add.onnx" --plan "$TMP/mnv2.json"
printf '{"dlfusion_plan": 1, "blocks": [' >"$TMP/malformed.plan.json"
expect plan_malformed_run 1 "malformed.plan.json" -- \
  "$BIN" run "$FIX/relu_add.onnx" --plan "$TMP/malformed.plan.json"
expect plan_malformed_bench 1 "malformed.plan.json" -- \
  "$BIN" bench "$FIX/relu_add.onnx" --plan "$TMP/malformed.plan.json"
expect plan_malformed_info 1 "malformed.plan.json" -- \
  "$BIN" info "$FIX/relu_add.onnx" --plan "$TMP/malformed.plan.json"
[ ! -s "$TMP/out" ] && ok plan_malformed_info_prints_nothing \
  || bad plan_malformed_info_prints_nothing "stdout: $(head -c 200 "$TMP/out")"
# Relu and the per-channel Add fused in one block of 1-row tiles: the expected values
fp=$(sed -nE 's/.*"fingerprint": "([0-9a-f]+)".*/\1/p' "$TMP/relu_add.plan.json")
printf '{"dlfusion_plan": 1, "fingerprint": "%s", "target": {"kind": "cpu", "cores": 1},
 "blocks": [{"layers": ["relu", "add"], "cores": 1, "tile_rows": 1}]}\n' "$fp" >"$TMP/fused.json"
expect plan_fused_channel_add 0 "" -- "$BIN" run "$FIX/relu_add.onnx" --plan "$TMP/fused.json" \
  --input "$FIX/relu_add_x.npy" --output "$TMP/yf.npy"
same_data plan_fused_channel_add_values "$TMP/yf.npy" "$FIX/relu_add_y.npy" 32
# a block the engine cannot run tile by tile (Softmax reads whole pixels): the error names the
# file and the layer
"$BIN" plan "$FIX/relu_softmax.onnx" -o "$TMP/relu_softmax.plan.json" >/dev/null 2>&1
fp=$(sed -nE 's/.*"fingerprint": "([0-9a-f]+)".*/\1/p' "$TMP/relu_softmax.plan.json")
printf '{"dlfusion_plan": 1, "fingerprint": "%s", "target": {"kind": "cpu", "cores": 1},
 "blocks": [{"layers": ["relu", "softmax"], "cores": 1, "tile_rows": 1}]}\n' "$fp" >"$TMP/unfusable.json"
expect plan_unfusable_block 1 "unfusable.json: block 0: layer 'softmax'" -- \
  "$BIN" run "$FIX/relu_softmax.onnx" --plan "$TMP/unfusable.json"
expect plan_file_missing 1 "$TMP/absent.plan.json" -- \
  "$BIN" run "$FIX/relu_add.onnx" --plan "$TMP/absent.plan.json"
expect plan_needs_argument 2 "needs an argument" -- "$BIN" bench "$FIX/relu_add.onnx" --plan
expect plan_with_reference_engine 2 "--plan needs the default engine" -- \
  "$BIN" run "$FIX/relu_add.onnx" --plan "$TMP/relu_add.plan.json" --engine ref

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
