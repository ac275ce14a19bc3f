#!/usr/bin/env bash
# Fails loudly when /dev/kvm is unusable: KVM tests never skip silently.
if [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
  echo "error: /dev/kvm is missing or not accessible; hyperlight needs KVM." >&2
  ls -l /dev/kvm >&2 || true
  ls /sys/module | grep kvm >&2 || true
  exit 1
fi
