#!/usr/bin/env bash
# The API against its contract, from outside: validates docs/openapi.yaml (and the copy `sluice local` serves at
# /v1/openapi.json) with openapi-spec-validator, then runs Schemathesis against a `sluice local` this script starts on
# a free loopback port and stops (by its PID) when it ends, however it ends.
#
# Bounded: a fixed number of examples per operation (SCHEMATHESIS_MAX_EXAMPLES, default 20) and a fixed seed
# (SCHEMATHESIS_SEED, default 22), so two runs send the same requests; stateful links create → get → cancel as the
# document declares them. Fails on a 5xx, a response the document does not describe (status, headers, body), or a
# request the schema forbids that the API accepted.
#
# The webhook writes (create, update, :test) are left out: a generated endpoint is a host name that the outbound
# guard would resolve (and :test would POST to), and this run sends nothing off the loopback; the Java REST tests
# check those routes against the document (OpenApiContract).
#
# Tools: openapi-spec-validator and schemathesis (versions pinned below) from PyPI with pip. Where PyPI cannot be
# reached, the Schemathesis run is reported as skipped (the document is still validated when the validator is there);
# the Java contract tests (OpenApiContractTest) run in every build regardless.
set -euo pipefail
cd "$(dirname "$0")/.."
SPEC_VALIDATOR_VERSION=0.7.2
SCHEMATHESIS_VERSION=4.1.4
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-20}
SEED=${SCHEMATHESIS_SEED:-22}
started=$(date +%s)

python3 -m pip install -q --disable-pip-version-check "openapi-spec-validator>=$SPEC_VALIDATOR_VERSION" >/dev/null 2>&1 || true
python3 -m pip install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >/dev/null 2>&1 \
  || python3 -m pip install -q --disable-pip-version-check "schemathesis>=4,<5" >/dev/null 2>&1 || true

if python3 -c 'import openapi_spec_validator' 2>/dev/null; then
  python3 -m openapi_spec_validator docs/openapi.yaml
else
  echo "schemathesis.sh: openapi-spec-validator is not installed; document validation skipped" >&2
fi

work=$(mktemp -d)
pid=""
stop() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
key="sk_schemathesis_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
SLUICE_API_KEY="$key" ./sluice local --port "$port" >"$work/local.log" 2>&1 &
pid=$!
# ready when it prints its project (the build, if one is needed, comes first): wait for that line, not for a time
for _ in $(seq 1 900); do
  grep -q '^Project: ' "$work/local.log" && break
  kill -0 "$pid" 2>/dev/null || { echo "sluice local exited:" >&2; tail -20 "$work/local.log" >&2; exit 1; }
  sleep 1
done
project=$(sed -n 's/^Project: *//p' "$work/local.log" | head -1)
[ -n "$project" ] || { echo "sluice local did not start" >&2; tail -20 "$work/local.log" >&2; exit 1; }
api="http://127.0.0.1:$port"

# the document as served is the repository's, and valid too
python3 - "$api" <<'PY'
import json, sys, urllib.request
served = json.load(urllib.request.urlopen(sys.argv[1] + "/v1/openapi.json"))
assert served["openapi"].startswith("3.1"), served.get("openapi")
assert len(served["paths"]) > 1, "the served document has its paths"
PY
if python3 -c 'import openapi_spec_validator' 2>/dev/null; then
  curl -sf "$api/v1/openapi.json" -o "$work/openapi.json"
  python3 -m openapi_spec_validator "$work/openapi.json"
fi

if ! python3 -c 'import schemathesis' 2>/dev/null; then
  echo "schemathesis.sh: Schemathesis could not be installed (no PyPI?); its run is skipped" >&2
  echo "schemathesis.sh: 0 passed, 0 failed, 1 skipped: took $(( $(date +%s) - started )) s"
  exit 0
fi

cat >"$work/schemathesis.toml" <<TOML
[parameters]
"path.projectId" = "$project"
TOML
schemathesis --config-file "$work/schemathesis.toml" run "$api/v1/openapi.json" \
  --url "$api" \
  --header "Authorization: Bearer $key" \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --phases examples,coverage,fuzzing,stateful \
  --mode all \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,use_after_free,ensure_resource_availability \
  --exclude-operation-id createWebhook --exclude-operation-id updateWebhook --exclude-operation-id testWebhook \
  --workers 1 \
  --no-color
echo "schemathesis.sh: took $(( $(date +%s) - started )) s"
