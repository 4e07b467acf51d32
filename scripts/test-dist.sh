#!/usr/bin/env bash
# Checks make dist's output: the binary runs with the Swift toolchain out of sight, links no
# Swift library, and the package installs with dpkg -i (into a scratch root, not this system)
# putting the man page and the completions where man, bash-completion, zsh and fish look.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "test-dist: FAIL: $*" >&2; exit 1; }
scripts/dist.sh > /dev/null
deb=$(ls dist/sessionctl_*.deb)
checks=0

# 1. No Swift library, no runpath into the toolchain.
ldd dist/sessionctl | grep -qi swift && fail "ldd lists a Swift library: $(ldd dist/sessionctl | grep -i swift)"
readelf -d dist/sessionctl | grep -qi "/opt/swift" && fail "the binary has a runpath into the toolchain"
checks=$((checks + 1))

# 2. It runs from another folder with an environment that names no toolchain path.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp dist/sessionctl "$tmp/"
out=$(cd "$tmp" && env -i PATH=/usr/bin:/bin HOME="$tmp" ./sessionctl --version) || fail "the copied binary did not run"
[[ "$out" == sessionctl* ]] || fail "unexpected --version output: $out"
(cd "$tmp" && env -i PATH=/usr/bin:/bin HOME="$tmp" ./sessionctl help list > /dev/null) || fail "help did not run"
set +e
(cd "$tmp" && env -i PATH=/usr/bin:/bin HOME="$tmp" ./sessionctl ping --url redis://127.0.0.1:1 --connect-timeout 1 2> "$tmp/err")
status=$?
set -e
[ "$status" -eq 4 ] || fail "ping of a closed port exited $status, not 4"
grep -q "cannot connect to 127.0.0.1:1" "$tmp/err" || fail "ping error: $(cat "$tmp/err")"
checks=$((checks + 1))

# 3. The package: its dependencies, and what dpkg -i installs where.
dpkg-deb --field "$deb" Depends | grep -q "libhiredis0.14" || fail "Depends lacks libhiredis0.14"
dpkg-deb --field "$deb" Depends | grep -q "libssl3" || fail "Depends lacks libssl3"
root="$tmp/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
dpkg --root="$root" --force-depends --force-not-root --force-script-chrootless -i "$deb" > /dev/null 2>&1 \
  || dpkg --root="$root" --force-depends --force-not-root -i "$deb" > /dev/null || fail "dpkg -i failed"
for f in usr/bin/sessionctl usr/share/man/man1/sessionctl.1.gz usr/share/bash-completion/completions/sessionctl \
         usr/share/zsh/vendor-completions/_sessionctl usr/share/fish/vendor_completions.d/sessionctl.fish; do
  [ -f "$root/$f" ] || fail "the package did not install $f"
done
dpkg --root="$root" -s sessionctl 2>/dev/null | grep -q "Status: install ok installed" || fail "dpkg does not list the package as installed"
"$root/usr/bin/sessionctl" --version > /dev/null || fail "the installed binary did not run"
zcat "$root/usr/share/man/man1/sessionctl.1.gz" | groff -man -ww -z || fail "the installed man page does not lint"
checks=$((checks + 1))
echo "dist: $checks passed, 0 failed"
