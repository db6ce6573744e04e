#!/usr/bin/env bash
# Builds the LabelFlight container image without a Docker daemon: a root file system made of
# Debian's libc packages, a JRE cut down with jlink, and the server jar with its libraries, written
# as a docker-archive tarball (loadable with `docker load`, `podman load` or `ctr image import`).
#   server/image/build.sh            -> server/target/labelflight-image.tar
#   server/image/build.sh --verify   -> also unpacks it and runs the server from it (chroot, root only)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
target="$repo/server/target"
work="$target/image-build"
jar="$target/labelflight-server.jar"

if [ ! -f "$jar" ]; then
  (cd "$repo" && mvn -B -q -DskipTests package)
fi
rm -rf "$work"
mkdir -p "$work/debs" "$work/layers/base" "$work/layers/jre/opt" "$work/layers/app/app/conf" "$work/layers/app/data"

# 1. Base layer: glibc, libgcc, libstdc++, zlib from Debian (what a jlinked JRE links against).
(cd "$work/debs" && { apt-get download libc6 libgcc-s1 libstdc++6 zlib1g >/dev/null 2>&1 \
  || { apt-get update -qq >/dev/null && apt-get download libc6 libgcc-s1 libstdc++6 zlib1g >/dev/null; }; })
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$work/layers/base"
done
mkdir -p "$work/layers/base/tmp" "$work/layers/base/etc"
chmod 1777 "$work/layers/base/tmp"
echo "root:x:0:0:root:/root:/sbin/nologin" > "$work/layers/base/etc/passwd"
echo "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin" >> "$work/layers/base/etc/passwd"

# 2. JRE layer: only the modules the server and its libraries use.
modules="java.base,java.compiler,java.desktop,java.naming,java.sql,jdk.jfr,jdk.management,jdk.unsupported,java.management,java.logging,java.xml,java.net.http,jdk.crypto.ec"
"${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}/bin/jlink" --add-modules "$modules" --strip-debug \
  --no-man-pages --no-header-files --compress=2 --output "$work/layers/jre/opt/java"

# 3. App layer: the server, its libraries and the default configuration.
cp "$jar" "$work/layers/app/app/"
cp -r "$target/lib" "$work/layers/app/app/lib"
cp "$repo/conf/labelflight.json" "$work/layers/app/app/conf/"

python3 "$here/docker_archive.py" "$work/layers" "$target/labelflight-image.tar" "labelflight/server:0.1.0"
echo "image: $target/labelflight-image.tar ($(du -h "$target/labelflight-image.tar" | cut -f1))"

if [ "${1:-}" = "--verify" ]; then
  bash "$here/verify.sh" "$target/labelflight-image.tar"
fi
