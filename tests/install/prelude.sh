# Sourced by the tests/install/run_*.sh parts.
#   install_test_prelude NAME "$@"   checks the PREFIX argument; sets root (the
#       repository), prefix (absolute, symlinks resolved) and guest
#       (HYPERLIGHT_TEST_GUEST, else the built simpleguest.elf)
#   require_files NAME FILE...      exits, saying what to do, if one is missing

install_test_prelude() {
  local name=$1
  shift
  if [[ $# -ne 1 ]]; then
    echo "usage: $name PREFIX   (a prefix that 'cmake --install build --prefix PREFIX' filled)" >&2
    exit 2
  fi
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  if [[ ! -d $1 ]]; then
    echo "$name: $1 is not a directory: give the prefix hyperlight was installed into" >&2
    exit 2
  fi
  prefix=$(cd "$1" && pwd -P)
  guest=${HYPERLIGHT_TEST_GUEST:-$root/build/tests/guests/simpleguest.elf}
}

require_files() {
  local name=$1 needed
  shift
  for needed in "$@"; do
    if [[ ! -f $needed ]]; then
      echo "$name: $needed is missing: install hyperlight into $prefix and build the test guests first" >&2
      exit 1
    fi
  done
}
