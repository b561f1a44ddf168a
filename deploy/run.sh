#!/usr/bin/env bash
# Quick start: installs what is missing, builds, starts the whole fleet (PostgreSQL, RabbitMQ, the API,
# one worker), creates the example problems through the API, submits their example solutions and prints
# the verdicts with timings; then grades the `hello` example's solutions as a batch (deploy/batch-example.sh) and prints
# its CSV; then a short fault drill (deploy/metrics-drill.sh) shows the judge's metrics. The fleet
# keeps running afterwards; `deploy/fleet.sh stop` stops it.
set -euo pipefail
# shellcheck source=deploy/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_root "$@"

data_dir=${JUDGE_DATA_DIR:-$repo/artifacts/data}
api_url=http://127.0.0.1:${JUDGE_API_PORT:-5080}
judge=(dotnet "$repo/src/Judge.Cli/bin/Release/net10.0/judge.dll")

"$repo/deploy/fleet.sh" start
eval "$("$repo/deploy/services.sh" env)"

# One admin key per data directory, kept (readable by root only) for the next runs.
key_file=$data_dir/admin.key
if [[ ! -s $key_file ]] || [[ $(curl -s -o /dev/null -w '%{http_code}' -H "X-Api-Key: $(cat "$key_file")" "$api_url/api/languages") != 200 ]]; then
  (umask 077 && "${judge[@]}" keys create --name quickstart-admin --admin --quiet >"$key_file")
fi
key=$(cat "$key_file")

cd "$repo"
status=0
"${judge[@]}" demo --api "$api_url" --key "$key" --examples "$repo/examples/problems" || status=$?
if ((status == 0)); then
  echo
  "$repo/deploy/batch-example.sh" "$api_url" "$key" || status=$?
fi
if ((status == 0)); then
  echo
  "$repo/deploy/metrics-drill.sh" "$api_url" "$key" || status=$?
fi

cat <<EOT

The fleet is running:
  API          $api_url   (OpenAPI: $api_url/openapi/v1.json, health: $api_url/readyz)
  admin key    $key
  try it       curl -s -H 'X-Api-Key: $key' $api_url/api/submissions?pageSize=3
               curl -s -H 'X-Api-Key: $key' -H 'Content-Type: application/json' \\
                    -d '{"problem":"bigsum","language":"python","source":"print(sum(map(int,input().split())))"}' $api_url/api/submissions
  metrics      $api_url/metrics, http://127.0.0.1:${JUDGE_WORKER_METRICS_PORT:-5090}/metrics (the first worker; Prometheus text)
  logs         $data_dir/logs
  stop it      deploy/fleet.sh stop
EOT
exit $status
