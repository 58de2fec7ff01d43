#!/usr/bin/env bash
# The web console's browser test (test_console.py): a real headless Chromium (Debian's `chromium`, driven by
# Playwright's Python package with executable_path, no browser download) against a `sluice local` the test starts and
# stops. Installs what is missing when it can (apt-get as root, pip); skips with a clear message only where no Chromium
# can be installed. Extra arguments go to pytest. SLUICE_CONSOLE_SCREENSHOTS=docs/console refreshes README's pictures.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
chromium="${SLUICE_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; }) \
    || echo "note: apt-get could not install chromium" >&2
fi
if [ ! -x "$chromium" ]; then
  echo "SKIPPED: the console's browser test needs Chromium at $chromium (apt-get install chromium, or set SLUICE_CHROMIUM)" >&2
  exit 0
fi
python3 -c 'import playwright' 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check playwright pytest >/dev/null 2>&1 \
  || { echo "SKIPPED: the console's browser test needs the Python package playwright (pip install playwright)" >&2; exit 0; }
# the screenshots' folder is named from where run.sh was called, before the cd below
[ -n "${SLUICE_CONSOLE_SCREENSHOTS:-}" ] && SLUICE_CONSOLE_SCREENSHOTS="$(realpath -m "$SLUICE_CONSOLE_SCREENSHOTS")" \
  && export SLUICE_CONSOLE_SCREENSHOTS
start=$(date +%s)
cd "$here"
PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 python3 -m pytest -q -p no:cacheprovider -rs "$@" test_console.py
echo "Console browser test: $(( $(date +%s) - start )) s" >&2
