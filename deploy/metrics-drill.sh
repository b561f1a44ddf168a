#!/usr/bin/env bash
# A short fault drill against the running quick-start fleet, so that every judge metric has a value an operator can
# see: four slow submissions at once (some wait in the queue), then every sandbox of the first worker killed while
# two are judged (sandbox start failures for the pool's dead VMs, retries that re-claim the two). Prints the judge's
# metrics from the API and the worker afterwards. Usage: deploy/metrics-drill.sh <api url> <api key>
set -euo pipefail
# shellcheck source=deploy/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

api_url=$1
key=$2
data_dir=${JUDGE_DATA_DIR:-$repo/artifacts/data}
worker_metrics=http://127.0.0.1:${JUDGE_WORKER_METRICS_PORT:-5090}/metrics
worker_pid=$(cat "$data_dir/run/worker.pid")
slow='import time\ntime.sleep(1.5)\nprint(sum(map(int, open(0).read().split())))\n'

submit() {
  curl -fsS -H "X-Api-Key: $key" -H 'Content-Type: application/json' \
    -d "{\"problem\":\"bigsum\",\"language\":\"python\",\"source\":\"$slow\"}" "$api_url/api/submissions" |
    sed -n 's/.*"id":"\([^"]*\)".*/\1/p'
}
field() { # submission id, field -> its value
  curl -fsS -H "X-Api-Key: $key" "$api_url/api/submissions/$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",]*\)\"\{0,1\}[,}].*/\1/p"
}

ids=()
for _ in 1 2 3 4; do ids+=("$(submit)"); done
queued=$(curl -fsS "$api_url/metrics" | grep -E '^judge_queue_depth' || true)

# Once the first is being judged, kill every sandbox the worker runs (its child processes: QEMU or the namespace
# launcher), the busy ones and the warm pool's.
for _ in $(seq 1 200); do
  [[ $(field "${ids[0]}" status) == Judging ]] && break
  sleep 0.05
done
sleep 0.7
pkill -KILL -P "$worker_pid" || true

for id in "${ids[@]}"; do
  for _ in $(seq 1 600); do
    [[ $(field "$id" status) == Done ]] && break
    sleep 0.1
  done
done

echo "Fault drill: 4 slow submissions, every sandbox of the worker killed mid-judging; verdicts (attempts):"
for id in "${ids[@]}"; do echo "  $id  $(field "$id" verdict) ($(field "$id" attempt))"; done
echo
echo "Queue depth while they waited ($api_url/metrics):"
echo "${queued:-  (none)}" | sed 's/^/  /'
echo "Judge metrics now, summed over their series ($api_url/metrics and $worker_metrics; histograms by _count and _sum):"
{
  curl -fsS "$api_url/metrics"
  curl -fsS "$worker_metrics"
} | grep -E '^judge_' | grep -v '_bucket{' |
  awk '{ name = $1; sub(/[{].*/, "", name); total[name] += $2; if (!(name in seen)) { seen[name] = 1; order[++n] = name } }
       END { for (i = 1; i <= n; i++) printf "  %-50s %g\n", order[i], total[order[i]] }'
