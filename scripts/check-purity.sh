#!/usr/bin/env bash
# Checks the dependency rules of shared/DESIGN.md: core/ is pure (no I/O, no
# clock, no randomness of its own, no imports from the runtimes); sim/ and
# real/ never import each other; reports/ (writers) and scenarios/ know no
# runtime; fidelity/ sits on top, imported by nobody below it; cli/ (the
# commands' kit) sits at the bottom, importing no runtime and no wing;
# session/, which sim/ and real/ share, imports neither. Prints the offending lines, nothing when
# clean; exits non-zero when anything is found.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
report() {
  # $1: what is wrong, $2: the grep output naming where
  if [[ -n "$2" ]]; then
    printf '%s\n%s\n' "$1" "$2"
    status=1
  fi
}

if [[ -d core ]]; then
  report "core/ imports I/O modules or a runtime:" \
    "$(grep -rnE "from ['\"](node:[a-z_/]+|fs|path|os|child_process|http|https|net|crypto|worker_threads|process)['\"]|from ['\"]\.\./+(\.\./)*(sim|real|scenarios|reports|scripts)/|require\(|import\(" core --include='*.ts' || true)"
  report "core/ reads a clock, draws randomness or does I/O:" \
    "$(grep -rnE "Date\.now|new Date\(|performance\.now|Math\.random|process\.|setTimeout|setInterval|setImmediate|queueMicrotask|console\.|globalThis" core --include='*.ts' || true)"
fi
if [[ -d sim && -d real ]]; then
  report "sim/ imports real/:" "$(grep -rnE "from ['\"]\.\./real/" sim --include='*.ts' || true)"
  report "real/ imports sim/:" "$(grep -rnE "from ['\"]\.\./sim/" real --include='*.ts' || true)"
fi
if [[ -d session ]]; then
  report "session/ imports a shell (sim/ or real/):" "$(grep -rnE "from ['\"]\.\./(sim|real)/|import\(['\"]\.\./(sim|real)/" session --include='*.ts' || true)"
fi
if [[ -d scenarios ]]; then
  report "scenarios/ imports a runtime:" "$(grep -rnE "from ['\"](\.\./)+(sim|real|session|fidelity)/|import\(['\"](\.\./)+(sim|real|session|fidelity)/" scenarios --include='*.ts' || true)"
fi
if [[ -d reports ]]; then
  report "reports/ imports a runtime or the fidelity wing:" "$(grep -rnE "from ['\"](\.\./)+(sim|real|session|fidelity)/|import\(['\"](\.\./)+(sim|real|session|fidelity)/" reports --include='*.ts' || true)"
fi
below_fidelity=()
for d in cli core session sim real scenarios reports; do [[ -d $d ]] && below_fidelity+=("$d"); done
report "fidelity/ is imported from below it:" "$(grep -rnE "from ['\"](\.\./)+fidelity/|import\(['\"](\.\./)+fidelity/" "${below_fidelity[@]}" --include='*.ts' || true)"
if [[ -d cli ]]; then
  report "cli/ imports a runtime or the fidelity wing:" "$(grep -rnE "from ['\"](\.\./)+(sim|real|session|fidelity|scenarios|reports|core)/|import\(['\"](\.\./)+(sim|real|session|fidelity|scenarios|reports|core)/" cli --include='*.ts' || true)"
fi
exit "$status"
