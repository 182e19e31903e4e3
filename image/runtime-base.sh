#!/usr/bin/env bash
# Lays out the image's base file system in $1: a Java 17 runtime linked by jlink from this machine's (Debian) JDK, the
# C libraries it and the native parts of the jars (RocksDB, zstd, snappy) load, copied from the installed Debian
# packages, the JDK's CA certificates and an unprivileged user. Jib puts the application on top of it, from scratch:
# no container registry is reachable from these machines, so no base image can be pulled (docs/deploy.md).
set -euo pipefail
out=$1
jdk=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
# what `jdeps --print-module-deps --ignore-missing-deps --multi-release 17 edge-api/target/soma-streams.jar` prints,
# plus the providers jdeps cannot see: elliptic-curve TLS and DNS lookups through JNDI
modules=java.base,java.compiler,java.desktop,java.instrument,java.naming,java.net.http,java.rmi,java.scripting
modules=$modules,java.security.jgss,java.security.sasl,java.sql,jdk.management,jdk.unsupported,jdk.crypto.ec
modules=$modules,jdk.naming.dns
packages=(libc6 libgcc-s1 libstdc++6 zlib1g)

# laid out again only when the JDK or a package changed (a stamp beside it, not in the image)
stamp="$jdk $modules $(dpkg-query -W -f '${Version} ' "${packages[@]}")"
if [ -f "$out.built-from" ] && [ "$(cat "$out.built-from")" = "$stamp" ]; then
  exit 0
fi
rm -rf "$out"
mkdir -p "$out/opt" "$out/etc" "$out/tmp" "$out/usr/share/doc"
"$jdk/bin/jlink" --add-modules "$modules" --output "$out/opt/java" \
  --strip-debug --no-header-files --no-man-pages --compress=2
# Debian's JDK links its trust store to the one ca-certificates-java keeps in /etc; Jib would follow a link on this
# machine, so the image gets copies, as it does of the libraries
cp --remove-destination -L "$jdk/lib/security/cacerts" "$out/opt/java/lib/security/cacerts"

for package in "${packages[@]}"; do
  dpkg-query -L "$package:amd64" | grep -E '^(/usr)?/lib(64|/x86_64-linux-gnu)/[^/]*\.so[.0-9]*$' \
    | while read -r library; do mkdir -p "$out$(dirname "$library")" && cp -L "$library" "$out$library"; done
  mkdir -p "$out/usr/share/doc/$package" && cp "/usr/share/doc/$package/copyright" "$out/usr/share/doc/$package/"
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nsoma:x:10001:10001:soma:/nonexistent:/sbin/nologin\n' > "$out/etc/passwd"
printf 'root:x:0:\nsoma:x:10001:\n' > "$out/etc/group"
dpkg-query -W -f '${Package} ${Version}\n' "${packages[@]}" > "$out/usr/share/doc/debian-packages"
"$jdk/bin/java" -version 2>&1 | head -2 > "$out/opt/java/JDK-BUILT-FROM"
echo "$stamp" > "$out.built-from"
