#!/usr/bin/env bash
# Print the path of a Python 3.12 interpreter (what AWS Lambda's python3.12 runtime runs),
# installing one if the machine has none. Used by the Makefile and .ci/run.
set -euo pipefail

is312() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; }

for c in "${PYTHON312:-}" "$(command -v python3.12 2>/dev/null || true)" \
         "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 /usr/bin/python3.12 /usr/local/bin/python3.12; do
  if [ -n "$c" ] && [ -x "$c" ] && is312 "$c"; then echo "$c"; exit 0; fi
done

# none here: a standalone CPython 3.12 through uv (from PyPI); then Debian's package
echo "python3.12 not found: trying uv" >&2
if python3 -m pip install --quiet --user uv >&2 2>/dev/null || pip install --quiet uv >&2 2>/dev/null; then
  uvbin="$(python3 -c 'import sysconfig,os;print(os.path.join(sysconfig.get_path("scripts","posix_user"),"uv"))')"
  command -v uv >/dev/null 2>&1 && uvbin="$(command -v uv)"
  if "$uvbin" python install 3.12 >&2 2>/dev/null; then
    p="$("$uvbin" python find 3.12)"; if is312 "$p"; then echo "$p"; exit 0; fi
  fi
fi
if command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq python3.12 python3.12-venv) >&2 2>/dev/null || true
  if is312 /usr/bin/python3.12; then echo /usr/bin/python3.12; exit 0; fi
fi
echo "no Python 3.12 could be found or installed" >&2
exit 1
