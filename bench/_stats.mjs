// Shared by the bench suites: timing loops and percentiles. Files starting with "_" are not suites.

/** Percentile of an ascending array of numbers. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/**
 * Times `fn` (async) `iterations` times after `warmup` untimed runs; returns per-call µs stats.
 * Runs of `cases` are interleaved in blocks so drift (GC, JIT, a busy machine) hits each alike.
 */
export async function timeInterleaved(cases, { warmup = 3000, iterations = 30000, block = 500 } = {}) {
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) for (let i = 0; i < warmup; i++) await fn(i);
  for (let done = 0; done < iterations; done += block) {
    for (const [name, fn] of Object.entries(cases)) {
      const out = samples[name];
      for (let i = 0; i < block; i++) {
        const t0 = performance.now();
        await fn(done + i);
        out.push((performance.now() - t0) * 1000);
      }
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, s]) => {
      s.sort((a, b) => a - b);
      return [name, { p50Us: percentile(s, 50), p99Us: percentile(s, 99), samples: s.length }];
    }),
  );
}

export const round = (n, digits = 2) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);

/** driver.instantiate + describe, `times` times with `gapMs` of quiet before each; ms, ascending. */
export async function timeStarts(driver, manifest, ctx, { times, gapMs = 0 }) {
  const out = [];
  for (let i = 0; i < times; i++) {
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    const t0 = performance.now();
    const instance = await driver.instantiate(manifest, ctx);
    await instance.describe();
    out.push(performance.now() - t0);
    await instance.dispose();
  }
  return out.sort((a, b) => a - b);
}

/** One table row: timings `s` against the baseline `base` (both from timeInterleaved), plus `extra` fields. */
export const timingRow = (name, s, base, extra = {}) => ({
  name,
  p50Us: round(s.p50Us),
  p99Us: round(s.p99Us),
  ratioP50: round(s.p50Us / base.p50Us),
  overheadUs: round(s.p50Us - base.p50Us),
  samples: s.samples,
  ...extra,
});
