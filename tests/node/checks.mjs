// The test scripts' checks: one "ok"/"FAIL" line each, in the format
// tests/e2e/lib.sh counts, and how many failed (for the exit status).
let failures = 0

export function check(name, cond, detail = '') {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${name}${cond || !detail ? '' : `: ${detail}`}`)
  if (!cond) failures++
}

export function same(name, got, want) {
  const g = JSON.stringify(got)
  const w = JSON.stringify(want)
  check(name, g === w, `got ${g}, want ${w}`)
}

export function failed() {
  return failures
}
