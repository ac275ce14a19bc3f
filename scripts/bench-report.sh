#!/usr/bin/env bash
# Runs the benchmarks once and regenerates docs/benchmarks.md with its plots
# (tools/benchreport). Every ratio on the page is taken within that one run.
set -euo pipefail

synopsis() {
  cat <<'EOF'
usage: scripts/bench-report.sh [--quick] [--filter REGEX] [--peer] [--out FILE]
       scripts/bench-report.sh --from DIR [--out FILE]
EOF
}

usage() {
  synopsis
  cat <<'EOF'

Builds (scripts/build.sh), records the machine, runs build/bench/hyperlight_bench
once (and build/bench/hyperlight_script_bench when it was built) with JSON
output into build/bench-report/, then renders FILE and its plots (FILE's
folder/<FILE's name without .md>/*.png). A peer_bench.json in that directory
(scripts/peer-bench.sh: hyperlight against Wasmtime) is rendered as the
section "Side by side with Wasmtime", whichever run wrote it.

  --from DIR       re-render from a previous run's DIR (hyperlight_bench.json,
                   machine.json, script_bench.json and peer_bench.json if any);
                   builds and runs nothing
  --quick          HL_BENCH_QUICK=1 and --benchmark_min_time=0.01: rough figures,
                   into build/bench-report-quick/ (the page too, unless --out)
  --filter REGEX   run only the benchmarks matching REGEX (--benchmark_filter)
  --peer           also run scripts/peer-bench.sh (needs the NuGet package
                   Wasmtime from this machine's NuGet sources), after the
                   benchmarks, into the same directory
  --out FILE       the page to write (default docs/benchmarks.md)
  -h, --help       this text
EOF
}

# A usage error: the message, the synopsis, exit status 2.
usage_error() {
  {
    echo "bench-report.sh: $*"
    synopsis
    echo "(--help describes the options)"
  } >&2
  exit 2
}

root=$(cd "$(dirname "$0")/.." && pwd)
python=/usr/bin/python3 # Debian's, which has python3-jinja2, -yaml and -matplotlib

from_dir= quick=0 filter= out= peer=0
while (($# > 0)); do
  option=$1
  case $option in
    --from | --filter | --out)
      (($# >= 2)) || usage_error "$option needs a value"
      value=$2
      shift 2
      ;;
    --from=* | --filter=* | --out=*)
      value=${option#*=}
      option=${option%%=*}
      shift
      ;;
    --quick)
      quick=1
      shift
      continue
      ;;
    --peer)
      peer=1
      shift
      continue
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*) usage_error "unknown option: $option" ;;
    *) usage_error "unexpected argument: $option (options only)" ;;
  esac
  [[ -n $value ]] || usage_error "$option needs a value"
  # Paths as absolute ones: a new run works from the repository's root.
  case $option in
    --from) from_dir=$(realpath -m -- "$value") ;;
    --filter) filter=$value ;;
    --out) out=$(realpath -m -- "$value") ;;
  esac
done

if [[ -n $from_dir ]]; then
  # A re-render reads what a run recorded; options of a run make no sense with it.
  ((quick == 0 && peer == 0)) && [[ -z $filter ]] ||
    usage_error "--from re-renders a run; --quick, --filter and --peer apply to a new run"
  [[ -f $from_dir/hyperlight_bench.json && -f $from_dir/machine.json ]] ||
    usage_error "--from $from_dir: no hyperlight_bench.json and machine.json there"
fi

render() {
  "$python" "$root/tools/benchreport/benchreport.py" --run-dir "$1" --out "$2"
}

if [[ -n $from_dir ]]; then
  render "$from_dir" "${out:-$root/docs/benchmarks.md}"
  exit 0
fi

# ---------------------------------------------------------------------------
# A new run

run_dir=$root/build/bench-report
((quick == 0)) || run_dir=$root/build/bench-report-quick
if [[ -z $out ]]; then
  out=$root/docs/benchmarks.md
  ((quick == 0)) || out=$run_dir/benchmarks.md # rough figures never overwrite the page
fi

load_average() { cut -d' ' -f1-3 /proc/loadavg; }

# The machine as machine.json records it. Python writes the JSON, so that
# any character in a CPU's name comes out escaped.
write_machine_json() {
  local load_before=$1 load_after=$2
  local cpu_model kvm_modules memory_kib commit dirty=unknown
  cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
  kvm_modules=$(cd /sys/module && ls -d kvm* 2>/dev/null | tr '\n' ' ' || true)
  memory_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
  if commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null); then
    # The page and its plots are this script's own output: a page rendered
    # by an earlier run does not make the code measured differ from the commit.
    dirty=$(git -C "$root" status --porcelain --untracked-files=no -- . ':!docs/benchmarks.md' ':!docs/benchmarks')
    [[ -z $dirty ]] && dirty=0 || dirty=1
  else
    commit=unknown # not a git checkout
  fi
  "$python" - "$run_dir/machine.json" "$cpu_model" "$(nproc)" "$(uname -r)" "$kvm_modules" "$memory_kib" \
    "$load_before" "$load_after" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$commit" "$dirty" "$quick" "$filter" <<'EOF'
import json, sys

(path, cpu_model, cpus, kernel, kvm_modules, memory_kib, load_before, load_after, date_utc, commit, dirty, quick,
 filter_regex) = sys.argv[1:]
machine = {
    "cpu_model": cpu_model,
    "cpus": int(cpus),
    "kernel": kernel,
    "kvm_modules": kvm_modules.split(),
    "memory_gib": round(int(memory_kib) / 1024 / 1024, 1),
    "load_before": [float(x) for x in load_before.split()],
    "load_after": [float(x) for x in load_after.split()],
    "date_utc": date_utc,
    "commit": commit,
    "dirty": None if dirty == "unknown" else dirty == "1",
    "quick": quick == "1",
    "filter": filter_regex or None,
}
with open(path, "w") as f:
    json.dump(machine, f, indent=2)
    f.write("\n")
EOF
}

# Whether any benchmark of an executable matches --filter (all do without one).
matches_filter() {
  [[ -z $filter ]] || [[ -n $("$1" --benchmark_list_tests --benchmark_filter="$filter" 2>/dev/null) ]]
}

# One benchmark executable, its JSON into the run directory, its console
# output into a log beside it.
run_bench() {
  local executable=$1 name=$2
  local args=(--benchmark_out="$run_dir/$name.json" --benchmark_out_format=json)
  [[ -z $filter ]] || args+=(--benchmark_filter="$filter")
  ((quick == 0)) || args+=(--benchmark_min_time=0.01)
  echo "== $executable ${args[*]}"
  if ! "$executable" "${args[@]}" 2>&1 | tee "$run_dir/$name.log"; then
    echo "bench-report.sh: $executable failed (log: $run_dir/$name.log); the page was not rendered" >&2
    exit 1
  fi
}

cd "$root"
scripts/check-kvm.sh
scripts/build.sh
mkdir -p "$run_dir"
# Only this run's files: a script bench JSON left from an earlier run would
# put old figures on the new page. The peer bench's JSON stays unless this run
# makes a new one: scripts/peer-bench.sh is also run on its own, and its
# section names its own date and commit.
rm -f "$run_dir"/{hyperlight_bench,script_bench}.{json,log} "$run_dir/machine.json"

((quick == 0)) || export HL_BENCH_QUICK=1
load_before=$(load_average)
matches_filter build/bench/hyperlight_bench || usage_error "no benchmark of hyperlight_bench matches --filter $filter"
run_bench build/bench/hyperlight_bench hyperlight_bench
# Built with the script guests only (HL_BUILD_SCRIPT_GUESTS); its section is
# left out of the page when it did not run.
if [[ -x build/bench/hyperlight_script_bench ]] && matches_filter build/bench/hyperlight_script_bench; then
  run_bench build/bench/hyperlight_script_bench script_bench
fi
if ((peer == 1)); then
  peer_args=(--json "$run_dir/peer_bench.json")
  ((quick == 0)) || peer_args+=(--quick)
  # Its own load averages are in its JSON; machine.json's "after" includes it.
  if ! scripts/peer-bench.sh "${peer_args[@]}"; then
    echo "bench-report.sh: scripts/peer-bench.sh failed; the page was not rendered" >&2
    exit 1
  fi
fi
write_machine_json "$load_before" "$(load_average)"
render "$run_dir" "$out"
