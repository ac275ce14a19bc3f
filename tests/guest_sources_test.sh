#!/usr/bin/env bash
# scripts/fetch-guest-sources.sh without the network: the deb-src list it
# derives from apt sources in both formats, the SHA-256 check of a source
# package's files, and the stamp that keeps a rebuild offline.
# Usage: tests/guest_sources_test.sh DOWNLOADS
#   DOWNLOADS: a directory with lua5.4_*.dsc and the files it lists (the
#   build tree's third_party/lua5.4/download, which configure filled).
set -uo pipefail
if [[ $# -ne 1 || ! -d $1 ]]; then
  echo "usage: $0 DOWNLOADS" >&2
  exit 2
fi
downloads=$(cd "$1" && pwd)
fetch=$(cd "$(dirname "$0")/.." && pwd)/scripts/fetch-guest-sources.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failures=0
pass() { echo "PASS  $*"; }
fail() {
  echo "FAIL  $*"
  failures=$((failures + 1))
}

# 1. The private source list, from a machine's apt sources of every kind.
mkdir -p "$work/etc/parts"
cat >"$work/etc/sources.list" <<'EOF'
# a comment
deb http://one.example/debian bookworm main
  deb [signed-by=/keys/two.gpg] http://two.example/debian bookworm main contrib
deb-src http://three.example/debian bookworm main
#deb http://commented.example/debian bookworm main
deb http://one.example/debian bookworm main
EOF
echo "deb http://four.example/debian bookworm main" >"$work/etc/parts/four.list"
echo "deb http://disabled.example/debian bookworm main" >"$work/etc/parts/five.list.disabled"
cat >"$work/etc/parts/six.sources" <<'EOF'
Types: deb
URIs: http://six.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb deb-src
URIs: http://off.example/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb-src
URIs: http://seven.example/debian
Suites: bookworm
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 key
 -----END PGP PUBLIC KEY BLOCK-----
EOF
printf 'Dir::Etc::sourcelist "%s";\nDir::Etc::sourceparts "%s";\n' "$work/etc/sources.list" "$work/etc/parts" \
  >"$work/etc/apt.conf"
expected="## $work/out/apt/sources.list
deb-src http://one.example/debian bookworm main
deb-src [signed-by=/keys/two.gpg] http://two.example/debian bookworm main contrib
deb-src http://three.example/debian bookworm main
deb-src http://four.example/debian bookworm main
## $work/out/apt/sources.list.d/six.sources
Types: deb-src
URIs: http://six.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb-src
URIs: http://seven.example/debian
Suites: bookworm
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 key
 -----END PGP PUBLIC KEY BLOCK-----"
got=$(APT_CONFIG=$work/etc/apt.conf "$fetch" --dir "$work/out" --show-sources 2>&1)
if [[ $got == "$expected" ]]; then
  pass "deb-src entries from one-line and deb822 sources; comments, disabled files and Enabled: no left out"
else
  fail "derived sources:"$'\n'"$got"$'\n'"expected:"$'\n'"$expected"
fi
: >"$work/etc/sources.list"
rm "$work/etc/parts/"*
got=$(APT_CONFIG=$work/etc/apt.conf "$fetch" --dir "$work/out" --show-sources 2>&1)
if [[ $? -ne 0 && $got == *"no Debian package sources found"* ]]; then
  pass "no apt sources: a clear error"
else
  fail "no apt sources: $got"
fi

# 2. Checksums, the stamp, offline reruns.
copy=$work/copy
mkdir "$copy"
cp "$downloads"/lua5.4_* "$copy/"
source=$("$fetch" --dir "$work/ok" --from "$copy" lua5.4 2>"$work/ok.log")
if [[ $? -eq 0 && $source == "$work/ok/lua5.4/source" && -f $source/src/lua.h && -f $work/ok/lua5.4/stamp ]] &&
  grep -q "files match their SHA-256" "$work/ok.log"; then
  pass "checked, unpacked with the Debian patches, stamped: $source"
else
  fail "fetch from a copy: $source $(cat "$work/ok.log")"
fi
if grep -q "applying" "$work/ok/lua5.4/unpack.log"; then pass "dpkg-source applied the Debian patches"; else fail "no patch applied"; fi
again=$("$fetch" --dir "$work/ok" --from "$work/nowhere" lua5.4 2>&1)
if [[ $? -eq 0 && $again == "$source" ]]; then
  pass "a second run finds the stamp and fetches nothing"
else
  fail "second run: $again"
fi

tarball=$(ls "$copy"/lua5.4_*.orig.tar.* | head -n 1)
cp "$tarball" "$work/original"
printf 'X' | dd of="$tarball" bs=1 seek=1000 conv=notrunc 2>/dev/null
got=$("$fetch" --dir "$work/bad" --from "$copy" lua5.4 2>&1)
if [[ $? -ne 0 && $got == *"SHA-256 mismatch for $(basename "$tarball")"* && ! -e $work/bad/lua5.4/source ]]; then
  pass "a changed byte is refused: SHA-256 mismatch, nothing unpacked"
else
  fail "changed byte: $got"
fi
cp "$work/original" "$tarball"
printf 'X' >>"$tarball"
got=$("$fetch" --dir "$work/bad" --from "$copy" lua5.4 2>&1)
if [[ $? -ne 0 && $got == *"size mismatch for $(basename "$tarball")"* ]]; then
  pass "a longer file is refused: size mismatch"
else
  fail "longer file: $got"
fi
rm "$tarball"
got=$("$fetch" --dir "$work/bad" --from "$copy" lua5.4 2>&1)
if [[ $? -ne 0 && $got == *"is missing"* ]]; then pass "a missing file is refused"; else fail "missing file: $got"; fi

if ((failures)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "guest sources: all passed"
