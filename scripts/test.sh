#!/bin/sh
# The whole test suite: type-check, then every *.test.ts under src/ and test/ with node:test.
# Node 20 does not expand globs for --test, so the file list comes from find.
set -e
cd "$(dirname "$0")/.."
echo "== type-check (tsc --noEmit)"
npx tsc --noEmit -p .
npx tsc --noEmit -p dashboard
FILES=$(find src test -name '*.test.ts' | sort)
echo "== node:test on $(echo "$FILES" | wc -l) files"
# shellcheck disable=SC2086
exec node --import tsx --test --test-reporter=spec --test-timeout=180000 $FILES
