#!/usr/bin/env bash
# Make sure Debian's chromium (for the Playwright browser tests) and a Chinese font are present.
# Installs them with apt-get when running as root; otherwise says how, and the browser tests skip.
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium chromium-driver)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || need+=(fonts-wqy-microhei)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${need[*]} for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "browser tests need: sudo apt-get install ${need[*]} (they are skipped until then)"
fi
exit 0
