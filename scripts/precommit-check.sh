#!/usr/bin/env bash
# Lints and type-checks what is staged, so a commit never breaks CI's `npm test`. Run before `git commit`.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
files=$(git diff --cached --name-only --diff-filter=ACMR -- '*.ts' '*.mjs' '*.js' | grep -v '^src/store/scripts.generated.ts$' || true)
[ -z "$files" ] || npx eslint $files
npx tsc -p tsconfig.json --noEmit
