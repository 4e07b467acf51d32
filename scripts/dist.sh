#!/usr/bin/env bash
# make dist: a release binary with the Swift runtime linked in (it runs on a host without the
# Swift toolchain, needing only Debian's libhiredis and OpenSSL), and a Debian package holding
# the binary, the man page and the three completion scripts. Both land in dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product sessionctl --static-swift-stdlib --scratch-path .build-dist >&2
bin=.build-dist/release/sessionctl
version=$("$bin" --version | awk '{print $NF}')
arch=$(dpkg --print-architecture)
rm -rf dist
mkdir -p dist
install -m 755 "$bin" dist/sessionctl
strip --strip-unneeded dist/sessionctl 2>/dev/null || true

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -D -m 755 dist/sessionctl "$root/usr/bin/sessionctl"
install -d "$root/usr/share/man/man1"
gzip -9n < man/sessionctl.1 > "$root/usr/share/man/man1/sessionctl.1.gz"
chmod 644 "$root/usr/share/man/man1/sessionctl.1.gz"
install -D -m 644 completions/bash/sessionctl "$root/usr/share/bash-completion/completions/sessionctl"
install -D -m 644 completions/zsh/_sessionctl "$root/usr/share/zsh/vendor-completions/_sessionctl"
install -D -m 644 completions/fish/sessionctl.fish "$root/usr/share/fish/vendor_completions.d/sessionctl.fish"
install -d "$root/DEBIAN"
size=$(du -k -s "$root/usr" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: sessionctl
Version: $version
Architecture: $arch
Maintainer: sessionctl developers <sessionctl@localhost>
Installed-Size: $size
Depends: libhiredis0.14, libssl3, libstdc++6, libgcc-s1, libc6
Section: admin
Priority: optional
Description: find, show and revoke web-application sessions in Redis
 sessionctl finds every session of a user through user-to-session mapping
 keys (SCAN, never KEYS), shows them, revokes one or all of them, audits the
 keyspace, and prints tables for people and JSON for scripts. Standalone
 Redis, Redis Cluster, TLS and ACL users (AWS MemoryDB, ElastiCache).
CONTROL
dpkg-deb --root-owner-group --build "$root" "dist/sessionctl_${version}_${arch}.deb" >&2
echo "dist/sessionctl"
echo "dist/sessionctl_${version}_${arch}.deb"
