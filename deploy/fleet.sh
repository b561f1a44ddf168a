#!/usr/bin/env bash
# Runs the whole fleet on this machine: PostgreSQL and RabbitMQ (deploy/services.sh), the schema and
# queues (judge migrate), the API and one worker, as background processes with pid files and logs
# under the data directory. Idempotent: what already runs is left alone.
#
#   deploy/fleet.sh start    # prints the API's URL when it is ready
#   deploy/fleet.sh stop     # the worker, the API, then the services
#   deploy/fleet.sh status
#
# Settings: JUDGE_DATA_DIR [<repo>/artifacts/data], JUDGE_API_PORT [5080], JUDGE_WORKER_SLOTS
# [number of CPUs: under TCG, more VMs than cores only inflates every program's CPU time], JUDGE_WORKERS [1],
# JUDGE_WORKER_METRICS_PORT [5090]: worker N serves /metrics on 127.0.0.1 at that port + N - 1.
set -euo pipefail
# shellcheck source=deploy/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

data_dir=${JUDGE_DATA_DIR:-$repo/artifacts/data}
run_dir=$data_dir/run
log_dir=$data_dir/logs
api_port=${JUDGE_API_PORT:-5080}
api_url=http://127.0.0.1:$api_port
slots=${JUDGE_WORKER_SLOTS:-$(nproc)}
workers=${JUDGE_WORKERS:-1}
metrics_port=${JUDGE_WORKER_METRICS_PORT:-5090}
bin=$repo/src
judge=(dotnet "$bin/Judge.Cli/bin/Release/net10.0/judge.dll")

running() { # name -> pid of a live process started by us, or nothing
  local pid
  pid=$(cat "$run_dir/$1.pid" 2>/dev/null) || return 1
  [[ -n $pid && -d /proc/$pid ]] && grep -qa "$2" "/proc/$pid/cmdline" && echo "$pid"
}

start_one() { # name dll args...
  local name=$1 dll=$2
  shift 2
  if pid=$(running "$name" "$dll"); then
    echo "fleet: $name already running (pid $pid)"
    return
  fi
  mkdir -p "$run_dir" "$log_dir"
  # setsid + nohup: the process outlives this script and does not hold its terminal or output.
  setsid nohup dotnet "$dll" "$@" >"$log_dir/$name.log" 2>&1 </dev/null &
  echo $! >"$run_dir/$name.pid"
  echo "fleet: started $name (pid $!, log $log_dir/$name.log)"
}

stop_one() { # name dll
  local pid
  if ! pid=$(running "$1" "$2"); then
    echo "fleet: $1 not running"
    rm -f "$run_dir/$1.pid"
    return
  fi
  kill -TERM "$pid"
  # A worker finishes the submissions it is judging and destroys its VMs before it exits.
  for _ in $(seq 1 60); do
    [[ -d /proc/$pid ]] || break
    sleep 0.5
  done
  [[ -d /proc/$pid ]] && kill -KILL "$pid"
  rm -f "$run_dir/$1.pid"
  echo "fleet: stopped $1 (was pid $pid)"
}

api_dll=$bin/Judge.Api/bin/Release/net10.0/Judge.Api.dll
worker_dll=$bin/Judge.Worker/bin/Release/net10.0/Judge.Worker.dll
worker_name() { # N -> worker (the first), worker-2, …
  if (($1 == 1)); then echo worker; else echo "worker-$1"; fi
}
worker_names() { # every worker that may run: the configured ones and any left from a start with more
  local n=1
  while ((n <= workers)) || [[ -e $run_dir/$(worker_name "$n").pid ]]; do
    worker_name "$n"
    n=$((n + 1))
  done
}

case ${1:-} in
  start)
    ensure_root "$@"
    prepare
    "$repo/deploy/services.sh" start
    eval "$("$repo/deploy/services.sh" env)"
    "${judge[@]}" migrate
    start_one api "$api_dll" --urls "$api_url"
    for n in $(seq 1 "$workers"); do
      Sandbox__MaxConcurrentVms=$slots Worker__MetricsPort=$((metrics_port + n - 1)) start_one "$(worker_name "$n")" "$worker_dll"
    done
    for _ in $(seq 1 120); do
      curl -fsS "$api_url/healthz" >/dev/null 2>&1 && break
      running api "$api_dll" >/dev/null || { tail -n 30 "$log_dir/api.log" >&2; echo "fleet: the API exited" >&2; exit 1; }
      sleep 0.5
    done
    curl -fsS "$api_url/readyz" >/dev/null || { echo "fleet: the API is not ready: $(curl -sS "$api_url/readyz")" >&2; exit 1; }
    echo "fleet: API ready at $api_url (metrics $api_url/metrics); $workers worker(s) with $slots VM slots each, metrics at http://127.0.0.1:$metrics_port/metrics…"
    ;;
  stop)
    ensure_root "$@"
    for name in $(worker_names); do stop_one "$name" "$worker_dll"; done
    stop_one api "$api_dll"
    "$repo/deploy/services.sh" stop
    ;;
  status)
    code=0
    for name in api $(worker_names); do
      dll=$api_dll; [[ $name == worker* ]] && dll=$worker_dll
      if pid=$(running "$name" "$dll"); then echo "$name: running (pid $pid)"; else echo "$name: not running"; code=3; fi
    done
    "$repo/deploy/services.sh" status || code=3
    exit $code
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
