#!/bin/sh
# Builds liblunarfile.so for the bundle (run by Maven in process-classes; see pom.xml).
# Usage: build.sh <java.home> <source dir> <output .so>
set -eu
java_home=$1
src=$2
out=$3
fail() {
    echo "backend-file native build: $*" >&2
    exit 1
}
[ "$(uname -s)" = Linux ] || fail "liblunarfile.so is built on Linux only (this is $(uname -s))."
case "$(uname -m)" in
    x86_64|amd64) ;;
    *) fail "liblunarfile.so is packaged for linux-x86_64 only (this is $(uname -m))." ;;
esac
command -v gcc >/dev/null 2>&1 || fail "gcc not found: install it (Debian: apt-get install gcc) to build the JNI library liblunarfile.so for UNMAP hole punching."
[ -f "$java_home/include/jni.h" ] || fail "no JNI headers at $java_home/include (Maven must run on a JDK, not a JRE)."
mkdir -p "$(dirname "$out")"
exec gcc -std=c11 -O2 -fPIC -shared -Wall -Wextra -Werror -fvisibility=default \
    -I"$java_home/include" -I"$java_home/include/linux" \
    -o "$out" "$src/lunarfile.c"
