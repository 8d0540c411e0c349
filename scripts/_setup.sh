# Shared by scripts/run and scripts/test: a virtual environment with the project installed.
# Usage: setup_venv ""      (the portal's dependencies)
#        setup_venv "[dev]" (and the test tools)

pick_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Python 3.11 or newer is needed; install it first." >&2
  return 1
}

setup_venv() {
  local extras="$1"
  if [ ! -x .venv/bin/python ]; then
    echo "Creating the virtual environment in .venv"
    "$(pick_python)" -m venv .venv
  fi
  # Reinstall only when pyproject.toml (or the extras asked for) changed.
  local stamp=".venv/.installed${extras}"
  local want
  want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "Installing dependencies${extras:+ with $extras}"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".${extras}"
    echo "$want" > "$stamp"
  fi
  # The Welsh .mo files are committed; recompile them when gettext is here.
  if command -v msgfmt >/dev/null 2>&1; then
    .venv/bin/python manage.py compilemessages --ignore=.venv --verbosity 0
  fi
}
