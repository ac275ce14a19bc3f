#!/usr/bin/env bash
# Builds the C# binding and runs its xunit tests against the native library.
#   HYPERLIGHT_LIB_DIR     directory of libhyperlight.so (default: <repo>/build/src)
#   HYPERLIGHT_TEST_GUEST  path of simpleguest.elf (default: found under <repo>/build)
#   HYPERLIGHT_TEST_SDK_GUEST  path of sdkguest.elf (default: next to simpleguest.elf)
#   HYPERLIGHT_TEST_SCRIBBLE_GUEST  path of scribbleguest.elf (default: next to simpleguest.elf)
#   HYPERLIGHT_TEST_HOSTILE_GUEST  path of hostileguest.elf (default: next to simpleguest.elf)
# Extra arguments go to `dotnet test`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [[ -z "${HYPERLIGHT_LIB_DIR:-}" ]]; then
  HYPERLIGHT_LIB_DIR="$(cd ../../build/src && pwd)"
fi
export HYPERLIGHT_LIB_DIR
if [[ -n "${HYPERLIGHT_TEST_GUEST:-}" ]]; then
  export HYPERLIGHT_TEST_GUEST
fi
if [[ -n "${HYPERLIGHT_TEST_SDK_GUEST:-}" ]]; then
  export HYPERLIGHT_TEST_SDK_GUEST
fi
if [[ -n "${HYPERLIGHT_TEST_SCRIBBLE_GUEST:-}" ]]; then
  export HYPERLIGHT_TEST_SCRIBBLE_GUEST
fi
if [[ -n "${HYPERLIGHT_TEST_HOSTILE_GUEST:-}" ]]; then
  export HYPERLIGHT_TEST_HOSTILE_GUEST
fi

dotnet test Hyperlight.Tests/Hyperlight.Tests.csproj "$@"
