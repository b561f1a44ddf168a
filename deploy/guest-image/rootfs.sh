#!/usr/bin/env bash
# Builds the root filesystem layer: a Debian minbase with the judge's compilers and runtimes,
# packed as a read-only zstd squashfs (the guest puts a tmpfs overlay on top).
# Called by build.sh as: rootfs.sh OUT_DIR   (env: JUDGE_CACHE_DIR, SUITE, MIRROR, SECURITY_MIRROR)
# OUT_DIR gets rootfs.sqfs, languages.tsv (name<TAB>version line) and packages.tsv (dpkg list).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

out=${1:?usage: rootfs.sh OUT_DIR}
: "${JUDGE_CACHE_DIR:?}" "${SUITE:?}" "${MIRROR:?}" "${SECURITY_MIRROR?}"
((EUID == 0)) || die "building the root filesystem needs root (debootstrap, chroot, mount)"

# Everything below runs in a private mount namespace: whatever happens to this process (even
# SIGKILL), its proc/sys/bind mounts die with the namespace and never leak into the host.
# Where that is impossible (inside a chroot, / is no mount point) the EXIT trap still unmounts.
if [[ "${JUDGE_ROOTFS_IN_NS:-}" != 1 ]]; then
  if unshare --mount --propagation private true 2>/dev/null; then
    JUDGE_ROOTFS_IN_NS=1 exec unshare --mount --propagation private -- bash "$here/rootfs.sh" "$@"
  fi
  log "rootfs: warning: no private mount namespace here; relying on the cleanup trap to unmount"
fi

logfile="$JUDGE_CACHE_DIR/logs/rootfs.log"
debcache="$JUDGE_CACHE_DIR/debs"     # downloaded .debs survive rebuilds of this layer
mkdir -p "$JUDGE_CACHE_DIR/logs" "$JUDGE_CACHE_DIR/tmp" "$debcache/debootstrap" "$debcache/apt/partial"
: >"$logfile"
work=$(mktemp -d "$JUDGE_CACHE_DIR/tmp/rootfs.XXXXXX")
trap 'remove_tree "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
root="$work/root"

in_root() {
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}

mapfile -t packages < <(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$here/packages.txt")
((${#packages[@]})) || die "packages.txt lists no packages"

# --- base system ---------------------------------------------------------------------------------
log "rootfs: debootstrap $SUITE minbase from $MIRROR (log: $logfile)"
run_logged "$logfile" debootstrap --variant=minbase --cache-dir="$debcache/debootstrap" \
  --keyring=/usr/share/keyrings/debian-archive-keyring.gpg "$SUITE" "$root" "$MIRROR"

{
  echo "deb $MIRROR $SUITE main"
  echo "deb $MIRROR $SUITE-updates main"
  [[ -z "$SECURITY_MIRROR" ]] || echo "deb $SECURITY_MIRROR $SUITE-security main"
} >"$root/etc/apt/sources.list"
cat >"$root/etc/apt/apt.conf.d/90judge" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF
# Keep what no submission needs out of the image as dpkg unpacks it; copyright files stay.
# jmods (~70 MB, already compressed) are only used by jlink.
cat >"$root/etc/dpkg/dpkg.cfg.d/90judge-slim" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
path-exclude=/usr/lib/jvm/*/jmods/*
EOF
# Nothing may start services in a chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"

# --- packages ------------------------------------------------------------------------------------
# The JDK's postinst and ca-certificates-java run java, which needs /proc (and looks at /sys).
mount -t proc proc "$root/proc"
mount -t sysfs -o ro sysfs "$root/sys"
mount --bind "$debcache/apt" "$root/var/cache/apt/archives"

log "rootfs: installing ${packages[*]} (+ $SUITE-updates/-security upgrades)"
run_logged "$logfile" in_root apt-get -q update
run_logged "$logfile" in_root apt-get -q -y dist-upgrade
run_logged "$logfile" in_root apt-get -q -y install "${packages[@]}"

# Class data sharing makes every JVM start faster (it matters a lot under TCG); the archive must
# be made now because the root is read-only at run time.
java_home=$(dirname "$(dirname "$(readlink -f "$root/usr/bin/java")")")
java_home=${java_home#"$root"}
if [[ ! -f "$root$java_home/lib/server/classes.jsa" ]]; then
  log "rootfs: generating the JVM CDS archive"
  run_logged "$logfile" in_root java -Xshare:dump
fi

# CodeRunner's Python questions run pylint on the answer and expect its messages without the score line, as a Jobe server
# configures it (Jobe's README: pylint --reports=no --score=n --generate-rcfile > /etc/pylintrc).
if [[ ! -f "$root/etc/pylintrc" ]]; then
  log "rootfs: writing /etc/pylintrc"
  in_root sh -c 'pylint --reports=no --score=n --generate-rcfile > /etc/pylintrc'
fi

# Most C++ submissions start with #include <bits/stdc++.h>, which takes g++ ~20 s to parse under
# TCG. A precompiled header next to it cuts that several-fold, but g++ only uses one built with the
# same code-generation options, so these must match the C++ compile command of
# src/Judge.Sandbox/Languages/LanguageRegistry.cs (-pipe/-static/-o do not matter). A .gch directory
# may hold several variants; g++ picks the first valid one and silently ignores the rest.
CXX_PCH_VARIANTS=("-O2 -std=gnu++17")
stdcxx_h=
for h in "$root"/usr/include/x86_64-linux-gnu/c++/*/bits/stdc++.h; do
  [[ -f "$h" ]] && stdcxx_h=${h#"$root"/}
done
if [[ -n "$stdcxx_h" ]]; then
  mkdir -p "$root/$stdcxx_h.gch"
  for flags in "${CXX_PCH_VARIANTS[@]}"; do
    log "rootfs: precompiling bits/stdc++.h for g++ $flags"
    # shellcheck disable=SC2086 # flags is a word list on purpose
    run_logged "$logfile" in_root g++ $flags -x c++-header "/$stdcxx_h" \
      -o "/$stdcxx_h.gch/$(tr -c 'A-Za-z0-9+=\n' _ <<<"$flags").gch"
  done
fi

# --- judge layout --------------------------------------------------------------------------------
# uid/gid 1000 is what the agent runs submissions as; HOME=/tmp matches the agent's default env.
in_root groupadd --gid 1000 judge
in_root useradd --uid 1000 --gid 1000 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin judge
install -d -m 0755 -o 1000 -g 1000 "$root/box"
install -d -m 0755 "$root/etc/judge" "$root/usr/local/sbin"
echo judge >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost judge\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
rm -f "$root/etc/resolv.conf"   # the guest has no network
: >"$root/etc/machine-id"

# Versions as the guest will report them, for manifest.json: the first line of the output that matches a pattern
# (JVM-based tools may print warnings first). Every language id of LanguageRegistry.cs has a line.
# (The whole output first: grep -m1 on a pipe would end the tool with SIGPIPE, failing the pipeline.)
version_of() {
  local pattern=$1 output; shift
  output=$(in_root "$@" 2>&1 || true)
  grep -m1 -E "$pattern" <<<"$output" || echo unknown
}
{
  printf 'c\t%s\n' "$(version_of gcc gcc --version)"
  printf 'cpp\t%s\n' "$(version_of 'g\+\+' g++ --version)"
  printf 'python\t%s\n' "$(version_of Python python3 --version)"
  printf 'pypy3\t%s\n' "$(version_of PyPy pypy3 -c 'import sys; print(sys.version.replace(chr(10), " "))')"
  printf 'javascript\t%s\n' "$(version_of '^v' node --version)"
  printf 'java\t%s\n' "$(version_of openjdk java --version)"
  printf 'kotlin\t%s\n' "$(version_of kotlinc kotlinc -version)"
  printf 'scala\t%s\n' "$(version_of version scalac -version)"
  printf 'csharp\t%s\n' "$(version_of version mcs --version)"
  printf 'go\t%s\n' "$(version_of 'go version' go version)"
  printf 'rust\t%s\n' "$(version_of rustc rustc --version)"
  printf 'haskell\t%s\n' "$(version_of version ghc --version)"
  printf 'ocaml\t%s\n' "OCaml $(version_of '^[0-9]' ocamlopt -version)"
  printf 'pascal\t%s\n' "Free Pascal $(version_of '^[0-9]' fpc -iV)"
  printf 'php\t%s\n' "$(version_of '^PHP' php --version)"
  printf 'ruby\t%s\n' "$(version_of ruby ruby --version)"
  printf 'perl\t%s\n' "$(version_of perl perl -e 'print "perl $^V\n"')"
  printf 'lua\t%s\n' "$(version_of Lua lua5.4 -v)"
  printf 'lisp\t%s\n' "$(version_of SBCL sbcl --version)"
  printf 'prolog\t%s\n' "$(version_of SWI swipl --version)"
  printf 'fortran\t%s\n' "$(version_of Fortran gfortran --version)"
  printf 'ada\t%s\n' "$(version_of GNAT gnatmake --version)"
  printf 'r\t%s\n' "$(version_of version Rscript --version)"
  printf 'shell\t%s\n' "$(version_of bash bash --version)"
} >"$work/languages.tsv"
# shellcheck disable=SC2016 # dpkg-query's own ${field} syntax
in_root dpkg-query -W -f='${Package}\t${Version}\n' >"$work/packages.tsv"
log "rootfs: $(paste -sd';' "$work/languages.tsv" | tr '\t' '=')"

# --- strip and pack ------------------------------------------------------------------------------
unmount_below "$root"
rm -f "$root/usr/sbin/policy-rc.d"
rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old \
  "$root"/var/lib/dpkg/*-old "$root"/tmp/* "$root"/var/tmp/* "$root"/root/.cache
find "$root/var/log" -type f -delete
# Files unpacked by debootstrap itself did not go through the dpkg excludes above.
find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* "$root"/usr/share/lintian/*

log "rootfs: tree is $(du -sm --one-file-system "$root" | cut -f1) MiB; packing squashfs"
mkdir -p "$work/out"
run_logged "$logfile" mksquashfs "$root" "$work/out/rootfs.sqfs" -comp zstd -noappend -no-progress
mv "$work/languages.tsv" "$work/packages.tsv" "$work/out/"
chmod a-w "$work/out"/*
log "rootfs: rootfs.sqfs is $(du -m "$work/out/rootfs.sqfs" | cut -f1) MiB"
# Atomic publish: the layer either exists complete or not at all.
mv -T "$work/out" "$out"
