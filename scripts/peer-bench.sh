#!/usr/bin/env bash
# Hyperlight against Wasmtime (bench/peer/PeerBench, a .NET app): builds the
# library when needed, restores and builds the peer bench, runs it once and
# writes its JSON, which scripts/bench-report.sh renders as the page's
# "Side by side with Wasmtime" section (tools/benchreport/peer.md).
set -euo pipefail

synopsis() {
  echo "usage: scripts/peer-bench.sh [--quick] [--json PATH]"
}

usage() {
  synopsis
  cat <<'EOF'

Builds the library and guests (scripts/build.sh: ninja rebuilds only what
changed), restores and builds bench/peer/PeerBench (Release), runs it once
and writes its figures as JSON; the console table also goes to a log beside
the JSON (PATH without .json, plus .log). One full run takes about half a
minute.

  --json PATH   where to write the JSON (default build/bench-report/peer_bench.json,
                build/bench-report-quick/peer_bench.json with --quick)
  --quick       few samples: a smoke test, not figures to quote
  -h, --help    this text

Restoring needs the NuGet package Wasmtime from this machine's configured
NuGet sources (bench/peer/nuget.config adds none and removes none).
EOF
}

# A usage error: the message, the synopsis, exit status 2.
usage_error() {
  {
    echo "peer-bench.sh: $*"
    synopsis
    echo "(--help describes the options)"
  } >&2
  exit 2
}

root=$(cd "$(dirname "$0")/.." && pwd)

json= quick=0
while (($# > 0)); do
  option=$1
  case $option in
    --json)
      (($# >= 2)) || usage_error "$option needs a value"
      json=$2
      shift 2
      ;;
    --json=*)
      json=${option#*=}
      shift
      ;;
    --quick)
      quick=1
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
  [[ -n $json ]] || usage_error "--json needs a value"
  json=$(realpath -m -- "$json") # the run works from the repository's root
done
if [[ -z $json ]]; then
  json=$root/build/bench-report/peer_bench.json
  ((quick == 0)) || json=$root/build/bench-report-quick/peer_bench.json # rough figures never replace a full run's
fi
log=${json%.json}.log

cd "$root"
scripts/check-kvm.sh
scripts/build.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
project=bench/peer/PeerBench
echo "== dotnet build $project (Release)"
if ! dotnet build "$project" -c Release -v quiet -nologo; then
  echo "peer-bench.sh: building $project failed; if restoring Wasmtime failed, check this machine's NuGet sources" \
    "(dotnet nuget list source, run in $project)" >&2
  exit 1
fi

mkdir -p "$(dirname "$json")"
rm -f "$json" "$log" # a failed run leaves no earlier figures behind under this run's name
args=(--build-dir "$root/build" --json "$json")
((quick == 0)) || args+=(--quick)
echo "== PeerBench ${args[*]}"
if ! HYPERLIGHT_LIB_DIR=$root/build/src dotnet run --project "$project" -c Release --no-build -- "${args[@]}" 2>&1 |
  tee "$log"; then
  echo "peer-bench.sh: PeerBench failed (log: $log)" >&2
  exit 1
fi
