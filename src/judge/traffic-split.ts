/**
 * The sample-ratio-mismatch (SRM) check: if model-v2 was given 10 % of the traffic, it must be
 * receiving about 10 % of the requests, or something upstream (routing, retries, a crashing
 * pod, a header route) has broken the comparison and no metric can be trusted.
 *
 * Conditional on the total requests, each request's side is Bernoulli(expected share) under
 * the routing's promise; the beta-binomial mixture e-value (Dirichlet prior of concentration
 * 100, Lindon & Malek's default for this test) measures the evidence against it, valid at
 * every look. A mismatch makes the analysis inconclusive, or fail if so configured.
 *
 * Reference: Lindon, M. & Malek, A. (2022) "Anytime-valid inference for multinomial count
 * data", NeurIPS; Fabijan et al. (2019) "Diagnosing sample ratio mismatch in online
 * controlled experiments", KDD.
 */
import { logCentredBetaBinomialEValue } from '../stats/bernoulli-mixture-e-value';

export interface TrafficInput {
  readonly expectedCanaryShare: number;
  readonly baseline: number;
  readonly canary: number;
  /** What a mismatch does to the analysis (default inconclusive). */
  readonly onMismatch?: 'inconclusive' | 'fail';
}

export interface TrafficCheck {
  readonly name: 'traffic-split';
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
  readonly reason: string;
  readonly expectedCanaryShare: number;
  readonly observedCanaryShare: number | null;
  readonly baseline: number;
  readonly canary: number;
  readonly eValue: number;
}

const SRM_CONCENTRATION = 100;

export function checkTrafficSplit(input: TrafficInput, alpha: number): TrafficCheck {
  const { expectedCanaryShare: expected, baseline, canary } = input;
  const total = baseline + canary;
  const observed = total > 0 ? canary / total : null;
  const base = { name: 'traffic-split' as const, expectedCanaryShare: expected, observedCanaryShare: observed, baseline, canary };
  if (total === 0) return { ...base, verdict: 'inconclusive', reason: 'no requests were counted on either side', eValue: 1 };
  const eValue = Math.exp(logCentredBetaBinomialEValue(canary, total, expected, SRM_CONCENTRATION));
  const share = (x: number) => `${Number((x * 100).toPrecision(3))}%`;
  if (eValue >= 1 / alpha) {
    return {
      ...base,
      verdict: 'fail',
      eValue,
      reason: `the canary received ${share(observed!)} of ${total} requests where the routing promises ${share(expected)} (e-value ${eValue.toPrecision(3)} >= ${1 / alpha}): the traffic split is broken, so the comparison cannot be trusted; ${likelyCause(observed!, expected)}`,
    };
  }
  return { ...base, verdict: 'pass', eValue, reason: `the canary received ${share(observed!)} of ${total} requests, consistent with ${share(expected)}` };
}

/** What usually moves the canary's share off its weight, by the side it moved to. */
function likelyCause(observed: number, expected: number): string {
  if (observed > expected) {
    return (
      'more than its weight is what a header route forcing requests to the canary (testers sending x-canary-version: v2, say) does: ' +
      'their traffic is not the version\'s and its latency and errors are not either; keep it out of the comparison with "exclude" on a label that Istio ' +
      'sets from the header (docs/prometheus-and-istio.md, header routes), or check that the weight sent is the step\'s'
    );
  }
  return (
    'less than its weight is what a canary that refuses or fails requests before they are counted (crashing pods, client-side failures), or a stale weight sent, does; ' +
    'at the first look right after a weight step it is the step not yet in the data (Argo measures at once after setWeight, Prometheus\' latest samples lag by up to a scrape interval): the next look counts it'
  );
}
