# Sourced by .ci/run (as root, CI=true): headless Chromium + its driver from Debian's packages
# for the /moderate browser tests (Selenium uses /usr/bin/chromium and /usr/bin/chromedriver;
# nothing downloads a browser). Idempotent and quiet.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
fi
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
