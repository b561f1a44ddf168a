#!/usr/bin/env bash
# Runs the PostgreSQL 15 and RabbitMQ 3.10 servers Judge needs as plain local processes from the
# Debian packages: no systemd, no Docker, all state under one project data directory, every
# listening socket on 127.0.0.1. CI calls `start` on every run because a session's background
# processes do not outlive it.
#
#   deploy/services.sh start   [postgres] [rabbitmq] # idempotent; no name = both
#   deploy/services.sh stop    [postgres] [rabbitmq] # idempotent
#   deploy/services.sh status  [postgres] [rabbitmq] # exit 0 if all named are up and loopback-only, else 3
#   deploy/services.sh env                           # `export` lines with the connection settings
#   deploy/services.sh psql ARGS...                  # psql as the superuser over our unix socket
#   deploy/services.sh rabbitmqctl ARGS...           # rabbitmqctl against our node
#   deploy/services.sh rabbitmq-diagnostics ARGS...  # the same for rabbitmq-diagnostics
#
# Settings (environment, defaults in brackets): JUDGE_DATA_DIR [<repo>/artifacts/data],
# JUDGE_PG_PORT [56730], JUDGE_AMQP_PORT [56720], JUDGE_RABBIT_DIST_PORT [56721],
# JUDGE_EPMD_PORT [56722], JUDGE_RABBIT_NODE [judge@localhost], JUDGE_PG_START_TIMEOUT [30],
# JUDGE_RABBIT_START_TIMEOUT [60] (seconds). Two instances coexist when data dir, ports and
# (for clarity) node name differ; the node name alone may repeat, since each instance has its own epmd.
#
# Layout of $JUDGE_DATA_DIR:
#   postgres/     the cluster (owned by postgres, 0700); its unix socket lives here too
#   rabbitmq/     config, definitions, Erlang cookie, pid file, mnesia/ (owned by rabbitmq)
#   logs/         postgres.log, postgres-initdb.log, rabbitmq/ (the node's log + console.log)
set -euo pipefail

# shellcheck source=deploy/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"   # $repo; its ensure_root would drop our JUDGE_* settings

# ---------------------------------------------------------------------------------------------
# Settings

data_dir=${JUDGE_DATA_DIR:-$repo/artifacts/data}
pg_port=${JUDGE_PG_PORT:-56730}
amqp_port=${JUDGE_AMQP_PORT:-56720}
dist_port=${JUDGE_RABBIT_DIST_PORT:-56721}
epmd_port=${JUDGE_EPMD_PORT:-56722}
rb_node=${JUDGE_RABBIT_NODE:-judge@localhost}
pg_timeout=${JUDGE_PG_START_TIMEOUT:-30}
rb_timeout=${JUDGE_RABBIT_START_TIMEOUT:-60}

# The application's credentials. Fixed on purpose: these are throwaway local servers that only
# listen on loopback, and tests and docs can rely on them.
app_user=judge
app_password=judge
app_db=judge
app_vhost=judge

pg_bin=/usr/lib/postgresql/15/bin
rb_bin=/usr/lib/rabbitmq/bin

die() { echo "services: $*" >&2; exit 1; }

for v in pg_port amqp_port dist_port epmd_port pg_timeout rb_timeout; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number, got '${!v}'"
done
[[ $rb_node == *@* ]] || die "JUDGE_RABBIT_NODE must look like name@host, got '$rb_node'"

# Absolute, so pid-file/cwd comparisons and the paths written into configs do not depend on
# where the script was called from.
data_dir=$(realpath -m -- "$data_dir")
pg_dir=$data_dir/postgres
rb_dir=$data_dir/rabbitmq
logs_dir=$data_dir/logs
pg_log=$logs_dir/postgres.log
rb_log_dir=$logs_dir/rabbitmq
rb_pidfile=$rb_dir/rabbitmq.pid

# One environment for the server and for every Erlang CLI tool, so they all find the same epmd
# (port), cookie ($HOME) and node, and none of them opens a listener on a public address.
rabbit_env=(
  HOME="$rb_dir"                                  # .erlang.cookie, shared by server and CLI
  ERL_EPMD_ADDRESS=127.0.0.1                      # epmd (started by the first erl) binds loopback only
  ERL_EPMD_PORT="$epmd_port"                      # our own epmd, not the shared 4369
  RABBITMQ_NODENAME="$rb_node"
  RABBITMQ_CONF_ENV_FILE="$rb_dir/rabbitmq-env.conf"  # not /etc/rabbitmq/...; we never create it
  RABBITMQ_CONFIG_FILE="$rb_dir/rabbitmq.conf"
  RABBITMQ_ADVANCED_CONFIG_FILE="$rb_dir/advanced.config"  # never created: keeps /etc out
  RABBITMQ_ENABLED_PLUGINS_FILE="$rb_dir/enabled_plugins"
  RABBITMQ_MNESIA_BASE="$rb_dir/mnesia"
  RABBITMQ_LOG_BASE="$rb_log_dir"
  RABBITMQ_PID_FILE="$rb_pidfile"
  ERL_CRASH_DUMP="$rb_log_dir/erl_crash.dump"     # else it lands in the cwd
  # The default distribution port is AMQP port + 20000, which does not exist for our AMQP port.
  RABBITMQ_DIST_PORT="$dist_port"
  # Erlang distribution listens on 0.0.0.0 unless told otherwise. Its schedulers busy-wait for work by default, which on a
  # host shared with the judge's own processes burns CPU they need (RabbitMQ's docs on runtime tuning: +sbwt none).
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} -kernel inet_dist_listen_min $dist_port -kernel inet_dist_listen_max $dist_port +sbwt none +sbwtdcpu none +sbwtdio none"
  # The CLI tools are short-lived hidden nodes with a listener of their own (35672-35682).
  RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
)

# ---------------------------------------------------------------------------------------------
# Helpers

# postgres refuses to run as root; RabbitMQ's state must belong to its own user. setpriv execs
# (no PAM session, no extra process). cd / so a caller's unreadable cwd (/root) does not matter.
as_user() {
  local user=$1; shift
  local home
  home=$(getent passwd "$user" | cut -d: -f6)
  (cd / && exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- \
    env HOME="$home" "$@")
}

# Like common.sh's ensure_root, but keeps every JUDGE_* setting across sudo.
ensure_root() {
  ((EUID == 0)) && return 0
  command -v sudo >/dev/null || die "run as root (or install sudo)"
  local keep
  keep=$(compgen -e | grep '^JUDGE_' | paste -sd, -) || true
  exec sudo ${keep:+--preserve-env="$keep"} env "PATH=$PATH" "$0" "$@"
}

ensure_packages() {
  local missing=0 user
  for f in "$pg_bin/initdb" "$pg_bin/pg_ctl" "$pg_bin/psql" "$pg_bin/pg_isready" \
           "$rb_bin/rabbitmq-server" "$rb_bin/rabbitmqctl"; do
    [[ -x $f ]] || missing=1
  done
  command -v ss >/dev/null || missing=1
  if ((missing)); then
    echo "services: PostgreSQL/RabbitMQ packages missing, running deploy/install-deps.sh" >&2
    "$repo/deploy/install-deps.sh"
  fi
  for user in postgres rabbitmq; do
    id "$user" >/dev/null 2>&1 || die "OS user '$user' does not exist (its package did not install cleanly)"
  done
}

now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Prints the last lines a log got since byte offset $2 (the size it had before we started).
log_tail() {
  local file=$1 from=${2:-0}
  [[ -f $file ]] || return 0
  echo "---- last lines of $file ----" >&2
  tail -c "+$((from + 1))" -- "$file" | tail -n 25 >&2
  echo "----" >&2
}
file_size() { stat -c %s -- "$1" 2>/dev/null || echo 0; }

# kill -0 also succeeds on a zombie, and a killed server can stay one for a while here.
alive() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# A pid counts as ours only if the process is the right program *and* runs in our directory:
# pid files survive kill -9 and the pid may since belong to something else.
proc_is() {
  local pid=$1 comm=$2 cwd=$3
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] || return 1
  [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$cwd" ]]
}

# Data dir parents must be traversable by the service users; the data dir itself we may fix.
prepare_data_dir() {
  mkdir -p -- "$data_dir" "$logs_dir"
  chmod o+x -- "$data_dir" "$logs_dir"  # mktemp -d makes 0700 dirs
  local user
  for user in postgres rabbitmq; do
    as_user "$user" test -x "$data_dir" \
      || die "user $user cannot reach $data_dir: make its parent directories world-searchable (chmod o+x)"
  done
}

# For the servers we leave running: close every inherited descriptor above stderr (our lock on fd
# 9, pipes a CI runner or test harness passed down), or whoever waits for those to close waits
# until the server stops.
close_extra_fds() {
  local fd
  for fd in "/proc/$BASHPID/fd"/*; do
    fd=${fd##*/}
    # The glob's own directory descriptor is gone by now, hence the -e.
    if ((fd > 2)) && [[ -e /proc/$BASHPID/fd/$fd ]]; then exec {fd}>&-; fi
  done
  return 0
}

# Who listens on TCP PORT (any address), as ss prints it; empty if nobody.
port_users() { ss -Hltnp "sport = :$1" | awk '{ print $4, $NF }' | paste -sd' ' -; }

# Fails with a clear message if something already listens on a port we are about to bind, instead
# of leaving the reader to find "address already in use" in a server log.
require_port_free() {
  local port=$1 what=$2 users
  users=$(port_users "$port")
  [[ -z $users ]] || die "$what port $port is already in use: $users (another instance? set the JUDGE_*_PORT settings)"
}

# tcp_open PORT: does something accept connections on 127.0.0.1:PORT?
tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------------------------------------
# Listening-address check: every TCP/UDP socket the given pids listen on must be on loopback.

# Prints "ADDR:PORT" for every listening socket held by one of the pids.
listeners_of() {
  local pids=" $* "
  ss -Hlntup | awk -v pids="$pids" '
    { n = split($NF, parts, "pid=")
      for (i = 2; i <= n; i++) { split(parts[i], p, ","); if (index(pids, " " p[1] " ")) { print $5; break } } }' \
    | sort -u
}

is_loopback() { [[ $1 =~ ^(127\.[0-9.]+|\[::1\]|\[::ffff:127\.[0-9.]+\])(%[^:]*)?:[0-9]+$ ]]; }

# Sets $listening (space-separated) and $exposed (non-loopback subset) for the pids.
check_listeners() {
  listening='' exposed=''
  local addr
  while read -r addr; do
    [[ -n $addr ]] || continue
    listening+="${listening:+ }$addr"
    is_loopback "$addr" || exposed+="${exposed:+ }$addr"
  done < <(listeners_of "$@")
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

pg_pid() {
  local pid
  [[ -f $pg_dir/postmaster.pid ]] || return 1
  pid=$(head -n1 "$pg_dir/postmaster.pid" 2>/dev/null) || return 1
  proc_is "$pid" postgres "$pg_dir" || return 1
  echo "$pid"
}

pg_ready() { "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -t 2; }

# psql as the superuser over the unix socket (peer auth maps root and postgres to `postgres`).
pg_psql() { "$pg_bin/psql" -h "$pg_dir" -p "$pg_port" -U postgres "$@"; }

pg_init() {
  [[ -f $pg_dir/PG_VERSION ]] && return 0
  if [[ -d $pg_dir ]] && [[ -n $(ls -A -- "$pg_dir") ]]; then
    die "$pg_dir is not empty but holds no cluster (no PG_VERSION); move it away"
  fi
  echo "postgres: initdb $pg_dir"
  install -d -m 0700 -o postgres -g postgres -- "$pg_dir"
  install -m 0640 -o postgres -g postgres /dev/null "$logs_dir/postgres-initdb.log"
  # Auth is rewritten below anyway; the flags only keep initdb from warning about trust.
  if ! as_user postgres "$pg_bin/initdb" -D "$pg_dir" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=peer --auth-host=scram-sha-256 >"$logs_dir/postgres-initdb.log" 2>&1; then
    log_tail "$logs_dir/postgres-initdb.log"
    die "postgres: initdb failed"
  fi
  # Our settings live in judge.conf, rewritten on every start (ports and paths may change).
  printf "\n# Judge: deploy/services.sh writes judge.conf on every start.\ninclude_if_exists = 'judge.conf'\n" \
    >>"$pg_dir/postgresql.conf"
}

pg_write_config() {
  as_user postgres tee "$pg_dir/judge.conf" >/dev/null <<EOF
# Written by deploy/services.sh on every start: edits here are lost.
# listen_addresses, port and unix_socket_directories are given on the postgres command line
# (see pg_start), where ALTER SYSTEM cannot override them.
max_connections = 200
password_encryption = scram-sha-256
EOF
  # Passwords over TCP; the unix socket (only root and postgres can reach the 0700 data dir)
  # uses peer auth, with root allowed to act as the postgres superuser.
  as_user postgres tee "$pg_dir/pg_hba.conf" >/dev/null <<'EOF'
# Written by deploy/services.sh on every start: edits here are lost.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  peer map=local
host    all       all   127.0.0.1/32   scram-sha-256
EOF
  as_user postgres tee "$pg_dir/pg_ident.conf" >/dev/null <<'EOF'
# Written by deploy/services.sh on every start: edits here are lost.
# MAPNAME  SYSTEM-USERNAME  PG-USERNAME
local      root             postgres
local      /^(.*)$          \1
EOF
}

pg_bootstrap() {
  # The role's password is reset every start so a changed one cannot break the documented login.
  pg_psql -d postgres -qAt -v ON_ERROR_STOP=1 >/dev/null <<EOF
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$app_user') THEN
    CREATE ROLE $app_user LOGIN CREATEDB PASSWORD '$app_password';
  ELSE
    ALTER ROLE $app_user LOGIN CREATEDB PASSWORD '$app_password';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE $app_db OWNER $app_user'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$app_db') \gexec
EOF
}

pg_verify_listeners() {
  local pid=$1
  check_listeners "$pid"
  if [[ -n $exposed ]]; then
    echo "postgres: LISTENS ON NON-LOOPBACK ADDRESSES: $exposed; stopping it" >&2
    pg_stop >&2
    die "postgres: refusing to run exposed"
  fi
  [[ " $listening " == *" 127.0.0.1:$pg_port "* ]] \
    || die "postgres: pid $pid is not listening on 127.0.0.1:$pg_port (listening: ${listening:-nothing})"
}

pg_start() {
  local pid t0 log_from
  t0=$(now)
  if pid=$(pg_pid); then
    pg_ready || die "postgres: pid $pid runs but does not accept connections on 127.0.0.1:$pg_port"
    pg_verify_listeners "$pid"
    echo "postgres: already running (pid $pid, 127.0.0.1:$pg_port)"
    return 0
  fi
  pg_init
  [[ $(stat -c %U -- "$pg_dir") == postgres ]] || chown -R postgres:postgres -- "$pg_dir"
  chmod 0700 -- "$pg_dir"
  local sock="$pg_dir/.s.PGSQL.$pg_port"
  ((${#sock} < 108)) || die "postgres: unix socket path too long for Linux (${#sock} > 107): $sock; use a shorter JUDGE_DATA_DIR"
  require_port_free "$pg_port" "postgres: JUDGE_PG_PORT"
  pg_write_config
  # Left behind by kill -9 or a crash. postgres copes with most stale lock files, but not when
  # their pid still answers kill -0: reused by another process, or a zombie the (lazy) init has
  # not reaped yet. pg_pid just said no postmaster runs here, and we hold the lock.
  rm -f -- "$pg_dir/postmaster.pid" "$pg_dir"/.s.PGSQL.*
  [[ -f $pg_log ]] || install -m 0640 -o postgres -g postgres /dev/null "$pg_log"
  log_from=$(file_size "$pg_log")
  # pg_ctl detaches the postmaster (setsid) with stdio on the log file; -w waits until it is
  # ready and fails fast if it dies.
  # Where it listens goes on the command line: that beats postgresql.conf and ALTER SYSTEM alike.
  # pg_ctl hands -o to /bin/sh, hence the quoting of the socket directory.
  local opts
  opts="-c listen_addresses=127.0.0.1 -p $pg_port -k $(printf %q "$pg_dir")"
  if ! (close_extra_fds; as_user postgres "$pg_bin/pg_ctl" start -D "$pg_dir" -l "$pg_log" \
      -w -t "$pg_timeout" -o "$opts" >/dev/null); then
    log_tail "$pg_log" "$log_from"
    die "postgres: did not start (log: $pg_log)"
  fi
  local deadline=$((SECONDS + pg_timeout))
  until pg_ready; do
    if ((SECONDS >= deadline)); then
      log_tail "$pg_log" "$log_from"
      die "postgres: no connections on 127.0.0.1:$pg_port within ${pg_timeout}s"
    fi
    sleep 0.2
  done
  pid=$(pg_pid) || die "postgres: started but $pg_dir/postmaster.pid names no running postmaster"
  pg_verify_listeners "$pid"
  pg_bootstrap || { log_tail "$pg_log" "$log_from"; die "postgres: creating role/database '$app_user' failed"; }
  echo "postgres: started in $(elapsed "$t0")s (pid $pid, 127.0.0.1:$pg_port, data $pg_dir)"
}

pg_stop() {
  local pid
  if ! pid=$(pg_pid); then
    echo "postgres: not running"
    return 0
  fi
  # fast = roll back open transactions and checkpoint: quick and durable.
  as_user postgres "$pg_bin/pg_ctl" stop -D "$pg_dir" -m fast -w -t 60 >/dev/null \
    || { echo "postgres: pg_ctl stop failed, killing pid $pid" >&2; kill -KILL "$pid" 2>/dev/null || true; }
  echo "postgres: stopped (was pid $pid)"
}

pg_status() {
  local pid
  if ! pid=$(pg_pid); then
    echo "postgres: stopped (data $pg_dir)"
    return 3
  fi
  if ! pg_ready; then
    echo "postgres: pid $pid runs but does not accept connections on 127.0.0.1:$pg_port"
    return 3
  fi
  check_listeners "$pid"
  if [[ -n $exposed ]]; then
    echo "postgres: running (pid $pid) but EXPOSED on $exposed (all: $listening)"
    return 3
  fi
  echo "postgres: running (pid $pid, listening $listening, loopback only, data $pg_dir)"
}

# ---------------------------------------------------------------------------------------------
# RabbitMQ

rb_ctl() { env "${rabbit_env[@]}" "$rb_bin/rabbitmqctl" -n "$rb_node" "$@"; }
rb_diag() { env "${rabbit_env[@]}" "$rb_bin/rabbitmq-diagnostics" -n "$rb_node" "$@"; }

rb_pid() {
  local pid
  [[ -f $rb_pidfile ]] || return 1
  pid=$(head -n1 "$rb_pidfile" 2>/dev/null) || return 1
  proc_is "$pid" beam.smp "$rb_dir" || return 1
  echo "$pid"
}

# The epmd serving our port (started by the node's erl; it outlives the node).
rb_epmd_pids() {
  ss -Hltnp "sport = :$epmd_port" | grep -o 'epmd",pid=[0-9]*' | grep -o '[0-9]*$' | sort -u || true
}

rb_write_config() {
  install -d -m 0750 -o rabbitmq -g rabbitmq -- "$rb_dir" "$rb_dir/mnesia" "$rb_log_dir"
  # Nodes and CLI tools authenticate to each other with this cookie; private to this data dir.
  if [[ ! -s $rb_dir/.erlang.cookie ]]; then
    (umask 077; head -c 30 /dev/urandom | base32 -w0 | tr -d = >"$rb_dir/.erlang.cookie")
  fi
  chown rabbitmq:rabbitmq -- "$rb_dir/.erlang.cookie"
  chmod 0400 -- "$rb_dir/.erlang.cookie"

  # Loading definitions at boot replaces the default guest user and / vhost, so users, vhosts and
  # permissions exist by the time await_startup returns, with no rabbitmqctl round trips.
  # A plaintext "password" is accepted on import (it is hashed then).
  local json
  json=$(cat <<EOF
{
  "users": [
    {"name": "$app_user", "password": "$app_password", "tags": ["administrator"]}
  ],
  "vhosts": [{"name": "/"}, {"name": "$app_vhost"}],
  "permissions": [
    {"user": "$app_user", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"},
    {"user": "$app_user", "vhost": "$app_vhost", "configure": ".*", "write": ".*", "read": ".*"}
  ]
}
EOF
)
  as_user rabbitmq tee "$rb_dir/definitions.json" >/dev/null <<<"$json"
  as_user rabbitmq chmod 0600 "$rb_dir/definitions.json"

  as_user rabbitmq tee "$rb_dir/rabbitmq.conf" >/dev/null <<EOF
# Written by deploy/services.sh on every start: edits here are lost.
listeners.tcp.default = 127.0.0.1:$amqp_port
load_definitions = $rb_dir/definitions.json
log.file.level = info
log.console = false
EOF
  # No plugins: management would open another port (15672) we do not need.
  as_user rabbitmq tee "$rb_dir/enabled_plugins" >/dev/null <<<'[].'
}

rb_verify_listeners() {
  local pid=$1
  # shellcheck disable=SC2046  # one pid per word
  check_listeners "$pid" $(rb_epmd_pids)
  if [[ -n $exposed ]]; then
    echo "rabbitmq: LISTENS ON NON-LOOPBACK ADDRESSES: $exposed; stopping it" >&2
    rb_stop >&2
    die "rabbitmq: refusing to run exposed"
  fi
  local want
  for want in "$amqp_port" "$dist_port" "$epmd_port"; do
    [[ " $listening " == *" 127.0.0.1:$want "* ]] \
      || die "rabbitmq: nothing of ours listens on 127.0.0.1:$want (listening: ${listening:-nothing})"
  done
}

rb_start() {
  local pid t0 log_file log_from console_from launcher
  t0=$(now)
  log_file=$rb_log_dir/$rb_node.log
  if pid=$(rb_pid); then
    # Running, but perhaps still booting (a start that timed out): wait for it like a fresh start.
    if ! tcp_open "$amqp_port"; then
      rb_ctl await_startup --timeout "$rb_timeout" >/dev/null 2>&1 \
        || die "rabbitmq: pid $pid runs but is not ready within ${rb_timeout}s (log: $log_file)"
    fi
    rb_verify_listeners "$pid"
    echo "rabbitmq: already running (pid $pid, node $rb_node, amqp 127.0.0.1:$amqp_port)"
    return 0
  fi
  # A stale pid file (kill -9, crash) would confuse nobody but us; a fresh node writes a new one.
  rm -f -- "$rb_pidfile"
  require_port_free "$amqp_port" "rabbitmq: JUDGE_AMQP_PORT"
  require_port_free "$dist_port" "rabbitmq: JUDGE_RABBIT_DIST_PORT"
  # An epmd may already serve our port (left by a CLI call); anything else there is a conflict.
  local epmd_users
  epmd_users=$(port_users "$epmd_port")
  [[ -z $epmd_users || $epmd_users == *'"epmd"'* ]] \
    || die "rabbitmq: JUDGE_EPMD_PORT $epmd_port is in use by something other than epmd: $epmd_users"
  rb_write_config
  log_from=$(file_size "$log_file")
  console_from=$(file_size "$rb_log_dir/console.log")
  # Detached in its own session, stdio on a file (a daemon holding our stdout would hang anyone
  # reading it through a pipe), as the rabbitmq user, in its own directory (rb_pid checks cwd).
  (close_extra_fds
   cd "$rb_dir" && exec setsid setpriv --reuid=rabbitmq --regid="$(id -g rabbitmq)" --init-groups -- \
      env "${rabbit_env[@]}" "$rb_bin/rabbitmq-server" \
      </dev/null >>"$rb_log_dir/console.log" 2>&1) &
  launcher=$!

  # await_startup fails at once until the node has registered with epmd, and every CLI call boots
  # an Erlang VM that competes with the node for CPU. So poll the AMQP port (opened late in the
  # boot) cheaply first, then let await_startup confirm that the boot finished.
  local deadline=$((SECONDS + rb_timeout))
  while :; do
    if tcp_open "$amqp_port" \
      && rb_ctl await_startup --timeout "$((deadline - SECONDS > 1 ? deadline - SECONDS : 1))" >/dev/null 2>&1; then
      break
    fi
    if ! alive "$launcher"; then
      # The console has the VM's one-line reason ("init terminating in do_boot ...").
      log_tail "$rb_log_dir/console.log" "$console_from"
      grep -E '\[(error|critical)\]' <(tail -c "+$((log_from + 1))" -- "$log_file" 2>/dev/null) | tail -n 10 >&2 || true
      die "rabbitmq: the node exited during startup (logs: $rb_log_dir)"
    fi
    if ((SECONDS >= deadline)); then
      log_tail "$log_file" "$log_from"
      die "rabbitmq: not ready within ${rb_timeout}s (logs: $rb_log_dir); it may still be booting, 'stop' ends it"
    fi
    sleep 0.1
  done
  pid=$(rb_pid) || die "rabbitmq: node is up but $rb_pidfile names no running beam.smp in $rb_dir"
  tcp_open "$amqp_port" || die "rabbitmq: node is up but AMQP 127.0.0.1:$amqp_port does not accept connections"
  rb_verify_listeners "$pid"
  echo "rabbitmq: started in $(elapsed "$t0")s (pid $pid, node $rb_node, amqp 127.0.0.1:$amqp_port, data $rb_dir)"
}

rb_stop() {
  local pid epmd
  if pid=$(rb_pid); then
    # shutdown stops the node and waits for its OS process to exit; signals are the fallback.
    if ! rb_ctl shutdown --timeout 60 >/dev/null 2>&1; then
      echo "rabbitmq: rabbitmqctl shutdown failed, sending SIGTERM to pid $pid" >&2
      kill -TERM "$pid" 2>/dev/null || true
    fi
    local deadline=$((SECONDS + 60))
    while alive "$pid"; do
      if ((SECONDS >= deadline)); then
        echo "rabbitmq: pid $pid did not stop within 60s, killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
    echo "rabbitmq: stopped (was pid $pid)"
  else
    echo "rabbitmq: not running"
  fi
  rm -f -- "$rb_pidfile"
  # Our epmd serves only this instance; leave nothing listening after a stop.
  for epmd in $(rb_epmd_pids); do
    kill -TERM "$epmd" 2>/dev/null || true
  done
}

rb_status() {
  local pid
  if ! pid=$(rb_pid); then
    echo "rabbitmq: stopped (data $rb_dir)"
    return 3
  fi
  if ! tcp_open "$amqp_port"; then
    echo "rabbitmq: pid $pid runs but AMQP 127.0.0.1:$amqp_port does not accept connections (booting?)"
    return 3
  fi
  # shellcheck disable=SC2046  # one pid per word
  check_listeners "$pid" $(rb_epmd_pids)
  if [[ -n $exposed ]]; then
    echo "rabbitmq: running (pid $pid) but EXPOSED on $exposed (all: $listening)"
    return 3
  fi
  echo "rabbitmq: running (pid $pid, node $rb_node, listening $listening, loopback only, data $rb_dir)"
}

# ---------------------------------------------------------------------------------------------
# Commands

print_env() {
  cat <<EOF
export ConnectionStrings__Judge='Host=127.0.0.1;Port=$pg_port;Database=$app_db;Username=$app_user;Password=$app_password'
export RabbitMq__Host=127.0.0.1 RabbitMq__Port=$amqp_port RabbitMq__VirtualHost=$app_vhost RabbitMq__Username=$app_user RabbitMq__Password=$app_password
export JUDGE_PG_PORT=$pg_port JUDGE_AMQP_PORT=$amqp_port
EOF
}

usage() {
  echo "usage:" >&2
  grep '^#   deploy/services.sh' "${BASH_SOURCE[0]}" | sed 's/^#//' >&2
  exit 2
}

cmd=${1:-}
[[ -n $cmd ]] || usage
shift

case "$cmd" in
  env)
    print_env
    exit 0 ;;
  start|stop|status)
    (($# > 0)) || set -- postgres rabbitmq   # no name = both
    names=()
    for s in "$@"; do
      case "$s" in
        postgres|rabbitmq) [[ " ${names[*]} " == *" $s "* ]] || names+=("$s") ;;
        *) usage ;;
      esac
    done ;;
  psql|rabbitmqctl|rabbitmq-diagnostics) ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac

ensure_root "$cmd" "$@"

case "$cmd" in
  psql) exec "$pg_bin/psql" -h "$pg_dir" -p "$pg_port" -U postgres "$@" ;;
  rabbitmqctl) rb_ctl "$@"; exit ;;
  rabbitmq-diagnostics) rb_diag "$@"; exit ;;
  status)
    rc=0
    for s in "${names[@]}"; do
      case "$s" in
        postgres) pg_status || rc=3 ;;
        rabbitmq) rb_status || rc=3 ;;
      esac
    done
    exit "$rc" ;;
esac

# start/stop: one at a time per data directory, so concurrent callers (parallel test jobs) neither
# launch two servers on one data dir nor stop one that is being started.
if [[ $cmd == start ]]; then
  ensure_packages
  prepare_data_dir
elif [[ ! -d $data_dir ]]; then
  for s in "${names[@]}"; do echo "$s: not running"; done
  exit 0
fi
exec 9>"$data_dir/.services.lock"
flock -w 300 9 || die "another deploy/services.sh holds $data_dir/.services.lock for 5 minutes"

# Both services at once when both are named: RabbitMQ's boot (and shutdown) dominates, PostgreSQL
# fits beside it. Each runs in a background subshell, where set -e still applies (under `||` it
# would not).
jobs_=()
for s in "${names[@]}"; do
  case "$cmd:$s" in
    start:postgres) pg_start & ;;
    start:rabbitmq) rb_start & ;;
    stop:postgres) pg_stop & ;;
    stop:rabbitmq) rb_stop & ;;
  esac
  jobs_+=("$!")
done
rc=0
for job in "${jobs_[@]}"; do
  wait "$job" || rc=1
done
exit "$rc"
