#!/usr/bin/env bash
# scripts/install-deps.sh with stand-ins for dpkg-query (every package missing), apt-get and id:
# it exits 0 after installing, whether /usr/sbin/policy-rc.d existed before (as on many
# container images: left as it was) or not (created for the install, removed after).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/bin"
printf '#!/bin/sh\necho "unknown ok not-installed"\n' >"$t/bin/dpkg-query"
# apt-get records whether the policy was in place while packages were installed.
printf '#!/bin/sh\n[ "$1" = install ] && { [ -x "%s" ] && echo present || echo absent; } >>"%s"\nexit 0\n' \
  "$t/policy-rc.d" "$t/apt.log" >"$t/bin/apt-get"
printf '#!/bin/sh\necho 0\n' >"$t/bin/id"
chmod +x "$t/bin/"*
run() { PATH="$t/bin:$PATH" POLICY_RC_D="$t/policy-rc.d" "$root/scripts/install-deps.sh" >/dev/null; }

# 1. policy-rc.d exists already: exit 0, the file untouched.
printf '#!/bin/sh\nexit 101\n# site policy\n' >"$t/policy-rc.d"
chmod 0755 "$t/policy-rc.d"
before=$(cat "$t/policy-rc.d")
run || { echo "FAIL: install-deps exited $? with an existing policy-rc.d"; exit 1; }
[ "$(cat "$t/policy-rc.d")" = "$before" ] || { echo "FAIL: existing policy-rc.d changed"; exit 1; }
# 2. no policy-rc.d: created for the install, removed after, exit 0.
rm -f "$t/policy-rc.d"
run || { echo "FAIL: install-deps exited $? without a policy-rc.d"; exit 1; }
[ ! -e "$t/policy-rc.d" ] || { echo "FAIL: policy-rc.d left behind"; exit 1; }
[ "$(cat "$t/apt.log")" = "$(printf 'present\npresent')" ] ||
  { echo "FAIL: policy not in place during apt-get install: $(cat "$t/apt.log")"; exit 1; }
echo "install-deps: exit 0 with and without a policy-rc.d; existing one kept, own one removed"
