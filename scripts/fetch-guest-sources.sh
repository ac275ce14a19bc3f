#!/usr/bin/env bash
# Fetches Debian source packages for guests built from third-party C code
# (Lua, a JavaScript engine) and unpacks them with the Debian patches applied.
#
#   scripts/fetch-guest-sources.sh [--dir DIR] [--from DOWNLOADS] PACKAGE...
#
# For each PACKAGE, on stdout: the directory of its unpacked source,
# DIR/PACKAGE/source (DIR defaults to build/third_party). Progress and errors
# go to stderr. CMake runs this at configure time (hl_fetch_debian_source,
# cmake/DebianSource.cmake).
#
# - apt-get source downloads through a private apt setup in DIR/apt: its
#   deb-src entries are derived from the machine's own apt sources (the
#   one-line sources.list and *.list files, and deb822 *.sources files, as
#   apt-config names them; files apt ignores and deb822 entries with
#   "Enabled: no" are skipped). The system's apt configuration is never
#   changed, and no mirror is named here.
# - Every file the .dsc lists under Checksums-Sha256 is checked (size and
#   SHA-256) before dpkg-source unpacks it; a mismatch stops everything.
# - A stamp (DIR/PACKAGE/stamp) marks a finished package: later runs print
#   its directory without touching the network, so rebuilds work offline.
#   Delete DIR/PACKAGE to fetch it again.
# - --from DOWNLOADS (or HL_GUEST_SOURCES_FROM) takes PACKAGE_*.dsc and the
#   files it lists from a directory instead of apt, e.g. on a machine
#   without network access; the checksums are checked the same way.
#   DOWNLOADS may also be another build tree's third_party directory (its
#   PACKAGE/download/).
set -euo pipefail

dir=
from=${HL_GUEST_SOURCES_FROM:-}
packages=()
while (($#)); do
  case $1 in
    --dir) dir=$2 && shift 2 ;;
    --from) from=$2 && shift 2 ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' && exit 0 ;;
    -*) echo "fetch-guest-sources: unknown option $1 (see --help)" >&2 && exit 2 ;;
    *) packages+=("$1") && shift ;;
  esac
done
if ((${#packages[@]} == 0)); then
  echo "usage: scripts/fetch-guest-sources.sh [--dir DIR] [--from DOWNLOADS] PACKAGE..." >&2
  exit 2
fi
dir=${dir:-$(cd "$(dirname "$0")/.." && pwd)/build/third_party}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

say() { echo "fetch-guest-sources: $*" >&2; }
die() {
  say "error: $*"
  exit 1
}

# The private apt setup: state, cache and sources of its own.
apt=$dir/apt
apt_options=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/sources.list.d"
  -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1)
# As root, apt downloads as the _apt user, who cannot write into a build tree.
[[ $(id -u) -ne 0 ]] || apt_options+=(-o APT::Sandbox::User=root)

# deb-src entries for every enabled deb entry of the machine's apt sources.
derive_sources() {
  local list parts f
  eval "$(apt-config shell list Dir::Etc::sourcelist/f parts Dir::Etc::sourceparts/d)"
  rm -rf "$apt/sources.list.d"
  mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial"
  : >"$apt/sources.list"
  # One-line format: "deb [options] URI suite components" -> "deb-src ..."
  # (deb-src lines are kept as they are).
  for f in "$list" "$parts"*.list; do
    [[ -f $f ]] || continue
    sed -nE 's/^[[:space:]]*deb(-src)?([[:space:]])/deb-src\2/p' "$f" >>"$apt/sources.list"
  done
  awk '!seen[$0]++' "$apt/sources.list" >"$apt/sources.list.unique" && mv "$apt/sources.list.unique" "$apt/sources.list"
  # deb822: every paragraph whose Types include deb or deb-src, unless
  # Enabled: no.
  for f in "$parts"*.sources; do
    [[ -f $f ]] || continue
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
         /(^|\n)Enabled:[ \t]*no[ \t]*(\n|$)/ { next }
         /(^|\n)Types:[^\n]*[ \t]deb(-src)?([ \t]|\n|$)/ {
           sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' \
      "$f" >"$apt/sources.list.d/$(basename "$f")"
  done
  if ! grep -qs '^deb-src' "$apt/sources.list" && ! grep -qs '^Types: deb-src' "$apt/sources.list.d/"*.sources; then
    die "no Debian package sources found in $list or ${parts}*.{list,sources}: fetching $* needs apt sources (deb or deb-src entries) for a Debian archive"
  fi
}

apt_updated=0
apt_update() {
  ((apt_updated)) && return
  say "updating the private package index in $apt (from the machine's apt sources, as deb-src)"
  apt-get "${apt_options[@]}" -qq update >&2 || die "apt-get update failed for the deb-src entries in $apt/sources.list{,.d}: check network access to your Debian mirror, or use --from DOWNLOADS"
  apt_updated=1
}

# download PACKAGE DEST: the .dsc and its files into DEST, via apt.
download() {
  local package=$1 dest=$2
  if [[ ! -d $apt/lists ]] || ! compgen -G "$apt/lists/*Sources*" >/dev/null; then
    derive_sources "$package"
    apt_update
  fi
  # Indexes from an earlier run may be stale: update once and retry.
  if ! (cd "$dest" && apt-get "${apt_options[@]}" -qq source --download-only "$package" >&2 2>"$dest/apt.log"); then
    derive_sources "$package"
    apt_update
    (cd "$dest" && apt-get "${apt_options[@]}" -qq source --download-only "$package" >&2 2>"$dest/apt.log") || {
      cat "$dest/apt.log" >&2
      die "apt-get source $package failed: no deb-src access for it through $apt/sources.list{,.d} (derived from your apt sources). Check network access to the mirror, or download ${package}_*.dsc and its files elsewhere and pass --from DIR (CMake: -DHL_GUEST_SOURCES_FROM=DIR)"
    }
  fi
}

# newest FILE...: the existing FILE with the highest version, if any.
newest() {
  local f
  for f in "$@"; do if [[ -f $f ]]; then echo "$f"; fi; done | sort -V | tail -n 1
}

# copy_from PACKAGE DEST: the .dsc and its files from the --from directory.
copy_from() {
  local package=$1 dest=$2 dsc name at
  dsc=$(newest "$from/${package}"_*.dsc "$from/$package/download/${package}"_*.dsc)
  [[ -n $dsc ]] || die "no ${package}_*.dsc in $from or $from/$package/download (--from / HL_GUEST_SOURCES_FROM)"
  at=$(dirname "$dsc")
  cp "$dsc" "$dest/"
  for name in $(dsc_files "$dsc" | awk '{print $3}'); do
    [[ -f $at/$name ]] || die "$at/$name is missing ($(basename "$dsc") lists it)"
    cp "$at/$name" "$dest/"
  done
}

# dsc_files DSC: "sha256 size name" for each file under Checksums-Sha256.
dsc_files() {
  awk '/^Checksums-Sha256:/ { on = 1; next } on && /^[ \t]/ { print $1, $2, $3; next } { on = 0 }' "$1"
}

# verify DSC: every listed file exists with the listed size and SHA-256.
verify() {
  local dsc=$1 at sha size name got count=0
  at=$(dirname "$dsc")
  while read -r sha size name; do
    [[ -f $at/$name ]] || die "$name, listed in $(basename "$dsc"), was not downloaded"
    got=$(stat -c %s "$at/$name")
    [[ $got == "$size" ]] || die "size mismatch for $name: the .dsc says $size bytes, the file has $got (a corrupt or tampered download: run again to fetch it anew)"
    got=$(sha256sum "$at/$name" | awk '{print $1}')
    [[ $got == "$sha" ]] || die "SHA-256 mismatch for $name: the .dsc says $sha, the file has $got (a corrupt or tampered download: run again to fetch it anew)"
    count=$((count + 1))
  done < <(dsc_files "$dsc")
  ((count > 0)) || die "$(basename "$dsc") lists no files under Checksums-Sha256"
  say "$(basename "$dsc"): $count files match their SHA-256"
}

command -v dpkg-source >/dev/null || die "dpkg-source not found: install dpkg-dev (scripts/install-deps.sh does)"

for package in "${packages[@]}"; do
  [[ $package =~ ^[a-z0-9][a-z0-9.+-]+$ ]] || die "'$package' is not a Debian source package name"
  top=$dir/$package
  if [[ -f $top/stamp && -d $top/source ]]; then
    echo "$top/source"
    continue
  fi
  rm -rf "$top"
  mkdir -p "$top/download"
  if [[ -n $from ]]; then
    say "$package: from $from"
    copy_from "$package" "$top/download"
  else
    say "$package: apt-get source --download-only"
    download "$package" "$top/download"
  fi
  dsc=$(newest "$top/download/${package}"_*.dsc)
  [[ -n $dsc ]] || die "no ${package}_*.dsc was downloaded"
  verify "$dsc"
  # dpkg-source applies the Debian patches (3.0 quilt); it checks the
  # checksums again and the signature only if a Debian keyring is installed.
  dpkg-source --no-copy -x "$dsc" "$top/unpacking" >"$top/unpack.log" 2>&1 || {
    cat "$top/unpack.log" >&2
    die "dpkg-source -x $(basename "$dsc") failed"
  }
  mv "$top/unpacking" "$top/source"
  printf 'dsc %s\nsha256 %s\n' "$(basename "$dsc")" "$(sha256sum "$dsc" | awk '{print $1}')" >"$top/stamp"
  say "$package: unpacked $(basename "$dsc") into $top/source"
  echo "$top/source"
done
