# Shared helpers for the guest image scripts; sourced, not run.
# Part of every layer's cache key: change it only when a change should rebuild everything.

log() { printf '[guest-image] %s\n' "$*" >&2; }
die() { printf '[guest-image] ERROR: %s\n' "$*" >&2; exit 1; }

# set -e alone exits silently; say which command failed where (a failing function has usually
# said why already, so its bare `return 1` is not repeated).
on_err() {
  [[ "$2" == return* || "$2" == exit* ]] || log "ERROR: \"$2\" failed (exit $1) at $3:$4"
}
trap 'on_err $? "$BASH_COMMAND" "${BASH_SOURCE[0]##*/}" $LINENO' ERR

# sha256 over the names and contents of the given files, so a rename changes the key too.
hash_files() {
  local f
  for f in "$@"; do
    [[ -f "$f" ]] || die "cannot hash missing file $f"
    printf '%s\0' "${f##*/}"
    cat -- "$f"
    printf '\0'
  done | sha256sum | cut -d' ' -f1
}

hash_string() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# Runs a command with its (chatty) output going to a log file; on failure shows the tail of the
# log so the reason is on screen, not only in the file. JUDGE_VERBOSE=1 streams it instead.
run_logged() {
  local logfile=$1; shift
  if [[ "${JUDGE_VERBOSE:-0}" == 1 ]]; then
    "$@" 2>&1 | tee -a "$logfile" >&2
    return "${PIPESTATUS[0]}"
  fi
  if ! "$@" >>"$logfile" 2>&1; then
    log "command failed: $*"
    log "last lines of $logfile:"
    tail -n 40 "$logfile" | sed 's/^/    /' >&2
    return 1
  fi
}

# Unmounts everything mounted at or below $1, deepest first. Lazy unmount as a last resort so
# that a busy mount cannot make cleanup fail and leave a half-mounted tree behind; callers then
# delete with rm --one-file-system so that nothing still mounted is ever recursed into.
unmount_below() {
  local base mp
  base=$(realpath -m -- "$1")
  # /proc/self/mountinfo field 5 is the mount point (octal-escaped spaces are fine for our paths).
  awk -v b="$base" '$5 == b || index($5, b "/") == 1 { print $5 }' /proc/self/mountinfo \
    | sort -r | while read -r mp; do
        umount -- "$mp" 2>/dev/null || umount -l -- "$mp" 2>/dev/null \
          || log "warning: could not unmount $mp"
      done
}

# Removes a scratch tree: unmount first, then delete without crossing into other filesystems.
remove_tree() {
  [[ -n "$1" && -e "$1" ]] || return 0
  unmount_below "$1"
  rm -rf --one-file-system -- "$1"
}
