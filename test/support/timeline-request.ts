/**
 * A request with timelines (`intervals`) for the report tests: 21 one-minute intervals of a
 * rollout whose canary share steps 1 % -> 10 % -> 50 %; the canary's error rate is three times
 * the baseline's (it fails at an early look), its p95 latency matches the baseline's.
 */
export function timelineRequest(intervals = 21): object {
  const errors = { baseline: [] as object[], canary: [] as object[] };
  const latency = { baseline: [] as object[], canary: [] as object[] };
  for (let i = 0; i < intervals; i++) {
    const share = [0.01, 0.1, 0.5][Math.min(2, Math.floor((3 * i) / intervals))];
    const canaryTotal = Math.round(10_000 * share);
    const baselineTotal = 10_000 - canaryTotal;
    errors.baseline.push({ events: Math.round(baselineTotal * 0.005), total: baselineTotal });
    errors.canary.push({ events: Math.round(canaryTotal * 0.015), total: canaryTotal });
    // Latency in ms, a fixed spread per interval (deterministic), the same on both sides.
    const values = (n: number) => Array.from({ length: Math.min(n, 400) }, (_, j) => 80 + ((j * 37 + i * 13) % 120));
    latency.baseline.push({ values: values(baselineTotal) });
    latency.canary.push({ values: values(canaryTotal) });
  }
  return {
    metrics: [
      { name: 'http-errors', kind: 'proportion', critical: true, margin: { relative: 0.5 }, baseline: { intervals: errors.baseline }, canary: { intervals: errors.canary } },
      { name: 'latency-ms', kind: 'continuous', statistic: 'p95', margin: { relative: 0.1 }, baseline: { intervals: latency.baseline }, canary: { intervals: latency.canary } },
    ],
  };
}
