#!/usr/bin/env bash
# Install the Debian packages the app (and, with "test", the test suite) needs.
# Only what is missing is installed; without root it just reports.
set -euo pipefail
need=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
if [ "${1:-}" = "test" ]; then
  # Chromium for browser tests; a small CJK font so screenshots show Chinese.
  need+=(chromium fonts-wqy-microhei)
fi
missing=()
for pkg in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "缺少系统软件包（需 root 安装）: ${missing[*]}" >&2
  echo "请运行: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "安装系统软件包: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
