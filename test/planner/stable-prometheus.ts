/**
 * A Prometheus HTTP API double for the planner: range queries over a stable version's Istio
 * series (requests per step, 0.5 % of them 5xx, latency buckets of a lognormal around 40 ms),
 * answered at the asked start/step; the canary's labels (destination_version="v2") have none.
 */
import type http from 'node:http';
import { normalCdf } from '../../src/stats/normal';
import type { CannedAnswer, RecordedRequest } from '../sources/fake-prometheus';

/**
 * Bounds 4.5 % apart from 20 ms to about 330 ms (as the seed's pod annotation sets), then +Inf:
 * two neighbouring buckets span less than the +10 % margin, so the quantile brackets can pass it.
 */
export const STABLE_BUCKETS = [...Array.from({ length: 65 }, (_, k) => String(Number((20 * 1.045 ** k).toPrecision(4)))), '+Inf'];
/** The cumulative share at or below each bound: lognormal, median 40 ms, sigma 0.5. */
const CUMULATIVE = STABLE_BUCKETS.map((le) => (le === '+Inf' ? 1 : normalCdf(Math.log(Number(le) / 40) / 0.5)));

export function stableAnswer(params: Record<string, string>, requestsPerMinute: number): CannedAnswer {
  const start = Number(params.start);
  const end = Number(params.end);
  const step = Number(params.step);
  const times = Array.from({ length: Math.floor((end - start) / step) + 1 }, (_, k) => start + k * step);
  const perStep = (requestsPerMinute * step) / 60;
  const query = params.query;
  const series = (metric: Record<string, string>, value: (t: number) => number) => ({ metric, values: times.map((t) => [t, String(value(t))]) });
  let result: unknown[] = [];
  if (!query.includes('destination_version="v1"')) result = [];
  // The series behind each bound (a source's check that every pod has every bound): one here.
  else if (query.startsWith('count by (le)')) result = STABLE_BUCKETS.map((le) => series({ le }, () => 1));
  else if (query.includes('istio_request_duration_milliseconds_bucket')) {
    result = STABLE_BUCKETS.map((le, i) => series({ le }, () => Math.round(perStep * CUMULATIVE[i])));
  } else if (query.includes('response_code=~"5.."')) result = [series({}, () => Math.round(perStep * 0.005))];
  else result = [series({}, () => Math.round(perStep))];
  return { body: { status: 'success', data: { resultType: 'matrix', result } } };
}

/** The same as an HTTP handler (a real socket, for the CLI). */
export function stableHandler(requestsPerMinute: number, seen?: RecordedRequest[]): http.RequestListener {
  return (req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      seen?.push({ url: req.url ?? '', method: req.method ?? '', headers: {}, params });
      const answer = stableAnswer(params, requestsPerMinute);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  };
}
