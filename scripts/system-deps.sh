#!/usr/bin/env bash
# Installs the Debian packages the project needs when they are missing (as root), or says which are.
#   scripts/system-deps.sh run   -> what serving the app needs (WeasyPrint's Pango, fonts)
#   scripts/system-deps.sh test  -> plus the browser and the PDF tools the test suite drives
set -euo pipefail
need=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core)
if [ "${1:-run}" = "test" ]; then
  need+=(chromium poppler-utils)
fi
missing=()
for pkg in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installation des paquets système manquants : ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "Paquets système manquants : ${missing[*]}" >&2
  echo "Installez-les (par exemple : sudo apt-get install ${missing[*]}) puis relancez." >&2
  exit 1
fi
