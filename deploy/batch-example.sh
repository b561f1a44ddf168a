#!/usr/bin/env bash
# The quick start's batch: the `hello` example's solutions handed in as a class (one file per "student", named after
# the folder it came from), submitted with `judge batch create`, followed with `judge batch watch` and exported as the
# CSV grade sheet with `judge batch export`. Usage: deploy/batch-example.sh <api url> <api key>
set -euo pipefail
# shellcheck source=deploy/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

api_url=$1
key=$2
judge=(dotnet "$repo/src/Judge.Cli/bin/Release/net10.0/judge.dll")
class=$(mktemp -d)
trap 'rm -rf "$class"' EXIT

# accepted/hello.py becomes accepted-hello-py.py: a label per file, the extension still giving the language.
for file in "$repo"/examples/problems/hello/submissions/*/*; do
  name=$(basename "$file")
  cp "$file" "$class/$(basename "$(dirname "$file")")-${name%.*}-${name##*.}.${name##*.}"
done

created=$("${judge[@]}" batch create --api "$api_url" --key "$key" --problem hello "$class")
echo "$created"
batch=$(sed -n 's/^batch \([0-9a-f-]*\):.*/\1/p' <<<"$created")
"${judge[@]}" batch watch --api "$api_url" --key "$key" "$batch"
echo
echo "Grade sheet (judge batch export $batch --format csv):"
"${judge[@]}" batch export --api "$api_url" --key "$key" --format csv "$batch"
