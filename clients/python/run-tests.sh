#!/usr/bin/env bash
# The Python SDK's tests (pytest), as CI runs them: installs the SDK with `pip install ./clients/python[test]` into a
# throw-away virtual environment (it sees the machine's packages, so an offline machine with requests, pytest and
# PyYAML installed works too), then runs tests/ — the session starts its own `sluice local` and stops it by PID.
# Needs Python >= 3.9 and a JDK 21+ (JAVA_HOME, else /usr/lib/jvm/*); `./sluice local` builds the modules if missing.
# Extra arguments go to pytest (e.g. `-k retries`).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
start=$(date +%s)

python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
  || { echo "the Python SDK needs Python 3.9 or newer ($python is $("$python" -V 2>&1))" >&2; exit 1; }

java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
if [ -z "${JAVA_HOME:-}" ] || [ "$(java_major "$JAVA_HOME/bin/java" | cut -d. -f1)" -lt 21 ] 2>/dev/null; then
  for d in /usr/lib/jvm/*; do
    if [ -x "$d/bin/java" ] && [ "$(java_major "$d/bin/java" | cut -d. -f1)" -ge 21 ] 2>/dev/null; then
      export JAVA_HOME="$d"; break
    fi
  done
fi

venv="$(mktemp -d "${TMPDIR:-/tmp}/sluice-sdk-venv.XXXXXX")"
trap 'rm -rf "$venv"' EXIT
"$python" -m venv --system-site-packages "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "$here[test]"

cd "$here"
# plugins of other tools installed on the machine (Hypothesis, Schemathesis …) are not loaded: only pytest's own
PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 "$venv/bin/python" -m pytest -q -p no:cacheprovider -rs "$@" tests
echo "Python SDK tests: $(( $(date +%s) - start )) s" >&2
