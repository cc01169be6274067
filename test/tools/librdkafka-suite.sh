#!/usr/bin/env bash
# Runs librdkafka's own broker tests that exercise transactions (0103, 0129, and 0055, 0061, 0137,
# which have transactional parts) against a sluice daemon started from this tree's dist/ in a
# temporary home, one test-runner invocation per test (a failure aborts the runner), and prints
# PASSED/FAILED per test with the first failure line.
#
#   test/tools/librdkafka-suite.sh LIBRDKAFKA_DIR [PORT] [TESTS...]
#
# LIBRDKAFKA_DIR is a librdkafka source tree with its libraries and test runner built
# (./configure --disable-ssl --disable-gssapi --disable-sasl --disable-zstd --disable-curl;
# make libs; make -C tests build). The runner reads tests/test.conf: this script writes one
# naming the daemon (and puts back any it found). TEST_KAFKA_VERSION says 3.7.0 so that no test
# skips itself for an old broker. The runner's own SUBTESTS=substring passes through, to run the
# subtests after one that fails (the first failure ends a test).
set -u
src=$(cd "$1" && pwd)
port=${2:-19192}
shift $(( $# >= 2 ? 2 : 1 ))
tests=${*:-0103 0129 0055 0061 0137}
repo=$(cd "$(dirname "$0")/../.." && pwd)
home=$(mktemp -d /tmp/sluice-librdkafka-suite-XXXX)
conf="$src/tests/test.conf"
[ -f "$conf" ] && mv "$conf" "$conf.before-sluice"
cleanup() {
  SLUICE_HOME=$home node "$repo/bin/run.js" daemon stop >/dev/null 2>&1
  rm -rf "$home"
  rm -f "$conf"
  [ -f "$conf.before-sluice" ] && mv "$conf.before-sluice" "$conf"
}
trap cleanup EXIT
SLUICE_HOME=$home node "$repo/bin/run.js" daemon start --brokers 3 --port "$port" >/dev/null || exit 1
echo "metadata.broker.list=127.0.0.1:$port" > "$conf"
cd "$src/tests" || exit 1
export LD_LIBRARY_PATH="$src/src:$src/src-cpp" TEST_KAFKA_VERSION=3.7.0
passed=0 failed=0
for t in $tests; do
  log="$home/$t.log"
  start=$(date +%s)
  TESTS=$t timeout 900 ./test-runner -p1 > "$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); echo "PASSED $t (${took} s)"
  else
    failed=$((failed + 1))
    why=$(grep -a -m1 -A1 '### Test' "$log" | tr -d '\033' | sed 's/\[[0-9;]*m//g' | tr '\n' ' ' | cut -c1-300)
    echo "FAILED $t (${took} s, exit $rc): $why"
    cp "$log" "/tmp/librdkafka-suite-$t.log"
  fi
done
echo "librdkafka suite: $passed passed, $failed failed"
