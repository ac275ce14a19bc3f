#!/usr/bin/env bash
# Packs the Hyperlight NuGet package around an installed library
# (PREFIX/lib), puts it in a local folder feed outside the repository, and
# builds and runs tests/install/dotnet_app from there with neither
# LD_LIBRARY_PATH nor HYPERLIGHT_LIB_DIR: the package alone must bring the
# native library. Checks what the app prints.
#   tests/install/run_dotnet.sh PREFIX
#   HYPERLIGHT_TEST_GUEST  the guest (default: build/tests/guests/simpleguest.elf)
set -euo pipefail

# shellcheck source=tests/install/prelude.sh
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"
install_test_prelude run_dotnet "$@"
require_files run_dotnet "$prefix/lib/libhyperlight.so" "$guest"

export HOME=${HOME:-/root}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The package must find its native library by itself.
unset LD_LIBRARY_PATH HYPERLIGHT_LIB_DIR

# The offline package folder the repository restores from (bindings/csharp/nuget.config).
offline=$(sed -n 's|.*<add key="[^"]*" value="\([^"]*\)".*|\1|p' "$root/bindings/csharp/nuget.config")
if [[ -z $offline || $offline == *$'\n'* ]]; then
  echo "run_dotnet: expected one package source in bindings/csharp/nuget.config, found: '$offline'" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hyperlight-dotnet-app.XXXXXX")
trap 'rm -rf "$work"' EXIT
work=$(cd "$work" && pwd -P)
feed=$work/feed
app=$work/app

# show: print a command as the user would type it, then run it.
show() {
  printf '+ %s\n' "$*" >&2
  "$@"
}

echo "== pack the Hyperlight package around $prefix/lib into $feed"
show dotnet pack "$root/bindings/csharp/Hyperlight/Hyperlight.csproj" -c Release -o "$feed" \
  -p:HyperlightNativeDir="$prefix/lib" --nologo -v quiet
packages=("$feed"/Hyperlight.*.nupkg)
if [[ ${#packages[@]} -ne 1 || ! -f ${packages[0]} ]]; then
  echo "run_dotnet: expected one Hyperlight.<version>.nupkg in $feed, found: ${packages[*]}" >&2
  exit 1
fi
version=$(basename "${packages[0]}" .nupkg)
version=${version#Hyperlight.}
contents=$(unzip -Z1 "${packages[0]}")
for entry in README.md lib/net10.0/Hyperlight.dll runtimes/linux-x64/native/libhyperlight.so \
  runtimes/linux-x64/native/libhyperlight.so.${version%%.*}; do
  if ! grep -qxF "$entry" <<<"$contents"; then
    printf 'run_dotnet: %s lacks %s; it holds:\n%s\n' "${packages[0]}" "$entry" "$contents" >&2
    exit 1
  fi
done

echo "== the app outside the repository ($app), restoring from $feed and $offline"
mkdir -p "$app"
cp "$root/tests/install/dotnet_app/HyperlightApp.csproj" "$root/tests/install/dotnet_app/Program.cs" "$app/"
cat >"$app/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="hyperlight" value="$feed" />
    <add key="offline" value="$offline" />
  </packageSources>
  <packageSourceMapping>
    <clear />
    <packageSource key="hyperlight">
      <package pattern="Hyperlight" />
    </packageSource>
    <packageSource key="offline">
      <package pattern="*" />
    </packageSource>
  </packageSourceMapping>
</configuration>
EOF
cat "$app/nuget.config"
cd "$app"
# A global package folder of its own: an earlier Hyperlight of the same
# version in ~/.nuget/packages would otherwise be used instead of this one.
export NUGET_PACKAGES=$work/packages
show dotnet build -c Release -o out -p:HyperlightVersion="$version" --nologo -v quiet
output=$(show dotnet out/HyperlightApp.dll "$guest")
echo "$output"
for line in "Add(40, 2) = 42" "AddViaHost(100, 23) = 123" "Echo = hello from dotnet" \
  "version: $version (bindings $version)" "library: $app/out/runtimes/linux-x64/native/libhyperlight.so"; do
  if ! grep -qxF "$line" <<<"$output"; then
    printf 'run_dotnet: expected the line "%s", the app printed:\n%s\n' "$line" "$output" >&2
    exit 1
  fi
done
echo "run_dotnet: the .NET app ran from Hyperlight.$version.nupkg with no LD_LIBRARY_PATH or HYPERLIGHT_LIB_DIR"
