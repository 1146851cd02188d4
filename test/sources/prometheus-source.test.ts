import { SourceUnavailableError, type FetchContext, type TemplateMetric } from '../../src/sources/metric-source';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { PromQLInputError } from '../../src/sources/prometheus/promql';
import { SampleFaultError, type SampleFaultCode } from '../../src/sources/validate/faults';
import { byQuery, EMPTY_VECTOR, fakeFetch, matrix, oneLayout, promError, vector, type CannedAnswer, type Responder } from './fake-prometheus';

const START = 1700000000;
const END = 1700000600;
const NS = 'destination_workload_namespace="ml"';
const V1 = 'destination_version="v1"';
const V2 = 'destination_version="v2"';

function context(overrides: Partial<FetchContext> = {}): FetchContext {
  return {
    baseline: { destination_workload_namespace: 'ml', destination_version: 'v1' },
    canary: { destination_workload_namespace: 'ml', destination_version: 'v2' },
    window: { start: START, end: END },
    signal: new AbortController().signal,
    ...overrides,
  };
}

function source(respond: Responder, queryTimeoutMs = 2000) {
  const fake = fakeFetch(oneLayout(respond));
  const client = new PrometheusClient({ baseUrl: 'http://prometheus:9090', queryTimeoutMs, fetch: fake.fetch });
  return { source: new PrometheusSource(client), requests: fake.requests };
}

const metric = (m: Partial<TemplateMetric> & Pick<TemplateMetric, 'template'>): TemplateMetric => ({ name: 'm', ...m });

async function faulty(promise: Promise<unknown>): Promise<SampleFaultError> {
  const error = await unavailable(promise);
  expect(error).toBeInstanceOf(SampleFaultError);
  return error as SampleFaultError;
}

async function unavailable(promise: Promise<unknown>): Promise<SourceUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceUnavailableError);
  return error as SourceUnavailableError;
}

describe('PromQL per template (golden strings)', () => {
  const latencyOf = (agg: string, side: string) => `${agg} by (le) (increase(istio_request_duration_milliseconds_bucket{reporter="destination",${NS},${side}}[600s]))`;
  // The bucket counts, and how many series have each bound.
  const latency = (side: string) => [latencyOf('sum', side), latencyOf('count', side)];
  // HTTP failures, or gRPC calls that failed under a non-failing HTTP code (Istio: HTTP 200).
  const istio = (side: string, extra: string) => `increase(istio_requests_total{reporter="destination",${NS},${side},${extra}}[600s])`;
  const grpcFailed = 'request_protocol="grpc"';
  const requests5xx = (side: string) => `sum(${istio(side, 'response_code=~"5.."')} or ${istio(side, `${grpcFailed},response_code!~"5..",grpc_response_status!~"0|"`)})`;
  const requestsNot2xx3xx = (side: string) => `sum(${istio(side, 'response_code!~"[23].."')} or ${istio(side, `${grpcFailed},response_code=~"[23]..",grpc_response_status!~"0|"`)})`;
  const requestsAll = (side: string) => `sum(increase(istio_requests_total{reporter="destination",${NS},${side}}[600s]))`;

  it.each<[string, TemplateMetric, string[], string[]]>([
    ['istio-latency', metric({ template: 'istio-latency' }), latency(V1), latency(V2)],
    ['istio-error-rate', metric({ template: 'istio-error-rate' }), [requests5xx(V1), requestsAll(V1)], [requests5xx(V2), requestsAll(V2)]],
    ['istio-requests', metric({ template: 'istio-requests' }), [requestsNot2xx3xx(V1), requestsAll(V1)], [requestsNot2xx3xx(V2), requestsAll(V2)]],
    [
      'histogram',
      metric({ template: 'histogram', metric: 'model_score' }),
      [`sum by (le) (increase(model_score_bucket{${NS},${V1}}[600s]))`, `count by (le) (increase(model_score_bucket{${NS},${V1}}[600s]))`],
      [`sum by (le) (increase(model_score_bucket{${NS},${V2}}[600s]))`, `count by (le) (increase(model_score_bucket{${NS},${V2}}[600s]))`],
    ],
    [
      'categorical',
      metric({ template: 'categorical', metric: 'model_predictions_total', by: 'class' }),
      [`sum by (class) (increase(model_predictions_total{${NS},${V1}}[600s]))`],
      [`sum by (class) (increase(model_predictions_total{${NS},${V2}}[600s]))`],
    ],
    [
      'proportion',
      metric({ template: 'proportion', events: 'model_timeouts_total', total: 'model_requests_total' }),
      [`sum(increase(model_timeouts_total{${NS},${V1}}[600s]))`, `sum(increase(model_requests_total{${NS},${V1}}[600s]))`],
      [`sum(increase(model_timeouts_total{${NS},${V2}}[600s]))`, `sum(increase(model_requests_total{${NS},${V2}}[600s]))`],
    ],
    [
      'query',
      metric({ template: 'query', query: 'histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination", {{labels}}}[1m])))' }),
      [`histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination", ${NS},${V1}}[1m])))`],
      [`histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination", ${NS},${V2}}[1m])))`],
    ],
  ])('%s', async (template, m, baseline, canary) => {
    const { source: s, requests } = source(() => (template === 'query' ? matrix([]) : EMPTY_VECTOR));
    const fetched = await s.fetch(m, context());
    expect(fetched.queries).toEqual({ baseline, canary });
    // What was sent is exactly what is reported.
    expect(requests.map((r) => r.params.query).sort()).toEqual([...baseline, ...canary].sort());
    for (const r of requests) {
      if (template === 'query') expect(r.params).toMatchObject({ start: String(START), end: String(END), step: '10' });
      else expect(r.params.time).toBe(String(END));
    }
  });

  it('a request label "reporter" replaces the default reporter="destination"', async () => {
    const { source: s } = source(() => EMPTY_VECTOR);
    const fetched = await s.fetch(metric({ template: 'istio-latency' }), context({ baseline: { reporter: 'source', destination_version: 'v1' }, canary: { destination_version: 'v2', reporter: 'source' } }));
    expect(fetched.queries.baseline[0]).toBe('sum by (le) (increase(istio_request_duration_milliseconds_bucket{reporter="source",destination_version="v1"}[600s]))');
    expect(fetched.queries.canary[0]).toBe('sum by (le) (increase(istio_request_duration_milliseconds_bucket{destination_version="v2",reporter="source"}[600s]))');
  });

  it('windows are whole seconds; histogram accepts a name that already ends in _bucket', async () => {
    const { source: s } = source(() => EMPTY_VECTOR);
    const fetched = await s.fetch(metric({ template: 'histogram', metric: 'x_bucket' }), context({ window: { start: START + 0.3, end: START + 3600.4 }, baseline: {}, canary: { v: '2' } }));
    expect(fetched.queries).toEqual({
      baseline: ['sum by (le) (increase(x_bucket{}[3600s]))', 'count by (le) (increase(x_bucket{}[3600s]))'],
      canary: ['sum by (le) (increase(x_bucket{v="2"}[3600s]))', 'count by (le) (increase(x_bucket{v="2"}[3600s]))'],
    });
  });

  it('query: the range step is stepSeconds when given, else the window / 60 (at least 1 s)', async () => {
    const q = metric({ template: 'query', query: 'x{{{labels}}}' });
    const run = async (m: TemplateMetric, window: { start: number; end: number }) => {
      const { source: s, requests } = source(() => matrix([]));
      await s.fetch(m, context({ window }));
      return requests.map((r) => r.params.step);
    };
    expect(await run(q, { start: START, end: START + 3600 })).toEqual(['60', '60']);
    expect(await run(q, { start: START, end: START + 30 })).toEqual(['1', '1']);
    expect(await run({ ...q, stepSeconds: 15 }, { start: START, end: START + 3600 })).toEqual(['15', '15']);
  });
});

describe('label escaping and injection attempts', () => {
  it.each([
    ['v2"} or vector(1) #', 'v="v2\\"} or vector(1) #"'],
    ['a\\"b', 'v="a\\\\\\"b"'],
    ['v2\n} or vector(1)', 'v="v2\\n} or vector(1)"'],
    ['v2", __name__=~".+', 'v="v2\\", __name__=~\\".+"'],
    ['版本-ü 🚀', 'v="版本-ü 🚀"'],
  ])('value %j stays one string', async (value, matcher) => {
    const { source: s, requests } = source(() => EMPTY_VECTOR);
    const fetched = await s.fetch(metric({ template: 'istio-latency' }), context({ baseline: { v: 'v1' }, canary: { v: value } }));
    const expected = `sum by (le) (increase(istio_request_duration_milliseconds_bucket{reporter="destination",${matcher}}[600s]))`;
    expect(fetched.queries.canary[0]).toEqual(expected);
    expect(requests.map((r) => r.params.query)).toContain(expected);
  });

  it('escapes values inserted into a custom query too', async () => {
    const { source: s } = source(() => matrix([]));
    const fetched = await s.fetch(metric({ template: 'query', query: 'sum(rate(x{ {{labels}} }[1m]))' }), context({ canary: { v: 'a"} or vector(1) #' } }));
    expect(fetched.queries.canary).toEqual(['sum(rate(x{ v="a\\"} or vector(1) #" }[1m]))']);
  });

  it.each([['bad-name'], ['1st'], ['a b'], ['x"} or vector(1) #'], ['__name__'], ['']])('refuses label name %j before sending anything', async (name) => {
    const { source: s, requests } = source(() => EMPTY_VECTOR);
    await expect(s.fetch(metric({ template: 'istio-error-rate' }), context({ canary: { [name]: 'v2' } }))).rejects.toThrow(PromQLInputError);
    expect(requests).toHaveLength(0);
  });

  it.each<[string, Partial<TemplateMetric>, RegExp]>([
    ['a bad metric name', { template: 'histogram', metric: 'x{a="b"}' }, /is not a Prometheus metric name/],
    ['a bad "by"', { template: 'categorical', metric: 'x', by: 'class) or vector(1' }, /is not a Prometheus label name/],
    ['a bad events counter', { template: 'proportion', events: 'e or vector(1)', total: 't' }, /is not a Prometheus metric name/],
    ['a missing metric', { template: 'histogram' }, /template histogram \(metric "m"\) needs "metric"/],
    ['a missing total', { template: 'proportion', events: 'e' }, /needs "total"/],
    ['a query without {{labels}}', { template: 'query', query: 'sum(x)' }, /must contain \{\{labels\}\}/],
    ['a categorical kind for histogram', { template: 'histogram', metric: 'x', kind: 'categorical' }, /continuous or distribution, not categorical/],
    ['a zero step', { template: 'query', query: 'x{{{labels}}}', stepSeconds: 0 }, /step/],
  ])('refuses %s', async (_name, m, message) => {
    const { source: s, requests } = source(() => EMPTY_VECTOR);
    await expect(s.fetch(metric(m as TemplateMetric), context())).rejects.toThrow(message);
    expect(requests).toHaveLength(0);
  });

  it('refuses an empty window', async () => {
    const { source: s } = source(() => EMPTY_VECTOR);
    await expect(s.fetch(metric({ template: 'istio-latency' }), context({ window: { start: END, end: END } }))).rejects.toThrow(/must end after it starts/);
  });
});

describe('conversion to judge sides', () => {
  const latencyQuery = (side: string) => `sum by (le) (increase(istio_request_duration_milliseconds_bucket{reporter="destination",${NS},${side}}[600s]))`;

  it('histogram: unsorted le from Prometheus, "+Inf", fractional counts -> sorted cumulative integer buckets', async () => {
    const { source: s } = source(
      byQuery({
        [latencyQuery(V1)]: vector([
          [{ le: '+Inf' }, '1203.4'],
          [{ le: '10' }, '101.5'],
          [{ le: '1e+06' }, '1203.0000001'],
          [{ le: '0.5' }, '0.4999'],
          [{ le: '100' }, '998.6'],
          [{ le: '25' }, '512.2'],
        ]),
        [latencyQuery(V2)]: vector([
          [{ le: '25' }, '40'],
          [{ le: '+Inf' }, '52'],
          [{ le: '10' }, '12.5'],
        ]),
      }),
    );
    const fetched = await s.fetch(metric({ name: 'latency', template: 'istio-latency' }), context());
    expect(fetched.kind).toBe('continuous');
    expect(fetched.noSeries).toBeUndefined();
    expect(fetched.baseline).toEqual({
      histogram: {
        buckets: [
          { le: 0.5, count: 0 },
          { le: 10, count: 102 },
          { le: 25, count: 512 },
          { le: 100, count: 999 },
          { le: 1e6, count: 1203 },
          { le: Infinity, count: 1203 },
        ],
      },
    });
    expect(fetched.canary).toEqual({ histogram: { buckets: [{ le: 10, count: 13 }, { le: 25, count: 40 }, { le: Infinity, count: 52 }] } });
  });

  it('histogram: increase() extrapolation that breaks monotonicity is mended with a running max', async () => {
    const { source: s } = source(() => vector([[{ le: '10' }, '100.4'], [{ le: '20' }, '99.8'], [{ le: '+Inf' }, '100.2']]));
    const fetched = await s.fetch(metric({ template: 'istio-latency' }), context());
    expect(fetched.canary).toEqual({ histogram: { buckets: [{ le: 10, count: 100 }, { le: 20, count: 100 }, { le: Infinity, count: 100 }] } });
  });

  it('histogram: the same bound written two ways ("1" and "1.0") is one bucket', async () => {
    const { source: s } = source(() => vector([[{ le: '1' }, '3'], [{ le: '1.0' }, '4'], [{ le: '+Inf' }, '9']]));
    const fetched = await s.fetch(metric({ template: 'histogram', metric: 'x' }), context());
    expect(fetched.baseline).toEqual({ histogram: { buckets: [{ le: 1, count: 7 }, { le: Infinity, count: 9 }] } });
  });

  it('histogram: tiny negatives (float noise) become 0', async () => {
    const { source: s } = source(() => vector([[{ le: '10' }, '-0.2'], [{ le: '+Inf' }, '4']]));
    const fetched = await s.fetch(metric({ template: 'histogram', metric: 'x', kind: 'distribution' }), context());
    expect(fetched.kind).toBe('distribution');
    expect(fetched.baseline).toEqual({ histogram: { buckets: [{ le: 10, count: 0 }, { le: Infinity, count: 4 }] } });
    expect(Object.is((fetched.baseline as unknown as { histogram: { buckets: { count: number }[] } }).histogram.buckets[0].count, -0)).toBe(false);
  });

  it('histogram: one side without series is an empty values side; neither side -> noSeries', async () => {
    const one = source(byQuery({ [latencyQuery(V1)]: vector([[{ le: '+Inf' }, '10']]), [latencyQuery(V2)]: EMPTY_VECTOR })).source;
    const fetched = await one.fetch(metric({ template: 'istio-latency' }), context());
    expect(fetched.canary).toEqual({ values: [] });
    expect(fetched.baseline).toEqual({ histogram: { buckets: [{ le: Infinity, count: 10 }] } });
    expect(fetched.noSeries).toBeUndefined();

    const none = source(() => EMPTY_VECTOR).source;
    const empty = await none.fetch(metric({ template: 'istio-latency' }), context());
    expect(empty).toMatchObject({ kind: 'continuous', baseline: { values: [] }, canary: { values: [] }, noSeries: true });
  });

  it.each<[string, CannedAnswer, SampleFaultCode, RegExp]>([
    ['a NaN bucket', vector([[{ le: '5' }, 'NaN'], [{ le: '+Inf' }, '4']]), 'nan', /series \{le="5"\} at .*: the sample is NaN/],
    ['+Inf in a bucket', vector([[{ le: '10' }, '+Inf'], [{ le: '+Inf' }, '5']]), 'infinite', /series \{le="10"\} at .*: the sample is \+Inf/],
    ['no +Inf bucket', vector([[{ le: '10' }, '5']]), 'no-inf-bucket', /no le="\+Inf" bucket/],
    ['no le label', vector([[{}, '5']]), 'missing-le', /no "le" label/],
    ['a non-numeric le', vector([[{ le: 'high' }, '5']]), 'bad-le', /le="high", not a number/],
    ['a large negative count', vector([[{ le: '+Inf' }, '-12']]), 'negative-count', /the count is -12: increase\(\) never goes below 0/],
  ])('histogram: %s -> the validation stage refuses it, naming metric, side and series', async (_name, answer, code, message) => {
    const { source: s } = source(() => answer);
    const error = await faulty(s.fetch(metric({ name: 'latency', template: 'istio-latency' }), context()));
    // (A label fault shows in the series counts too, which come from the same bucket series.)
    expect([...new Set(error.faults.map((f) => `${f.code} ${f.side}`))]).toEqual([`${code} baseline`, `${code} canary`]);
    expect(error.message).toMatch(/^Prometheus answered samples that cannot be judged: metric "latency" \(baseline\), buckets series/);
    expect(error.message).toMatch(message);
  });

  it('istio-error-rate: events / total, rounded; no 5xx series means 0 events', async () => {
    const e = (side: string) =>
      `sum(increase(istio_requests_total{reporter="destination",${NS},${side},response_code=~"5.."}[600s]) or increase(istio_requests_total{reporter="destination",${NS},${side},request_protocol="grpc",response_code!~"5..",grpc_response_status!~"0|"}[600s]))`;
    const t = (side: string) => `sum(increase(istio_requests_total{reporter="destination",${NS},${side}}[600s]))`;
    const { source: s } = source(
      byQuery({ [e(V1)]: vector([[{}, '12.4999']]), [t(V1)]: vector([[{}, '9899.6']]), [e(V2)]: EMPTY_VECTOR, [t(V2)]: vector([[{}, '101.2']]) }),
    );
    const fetched = await s.fetch(metric({ template: 'istio-error-rate' }), context());
    expect(fetched).toMatchObject({ kind: 'proportion', baseline: { events: 12, total: 9900 }, canary: { events: 0, total: 101 } });
    expect(fetched.noSeries).toBeUndefined();
  });

  it('reporter: the request\'s (e.g. waypoint, ambient mesh) replaces "destination" in every istio-* query; a side label still wins', async () => {
    for (const template of ['istio-latency', 'istio-error-rate', 'istio-requests'] as const) {
      const { source: s, requests } = source(() => EMPTY_VECTOR);
      const fetched = await s.fetch(metric({ template }), { ...context(), reporter: 'waypoint' });
      for (const q of [...fetched.queries.baseline, ...fetched.queries.canary]) {
        expect(q).not.toContain('reporter="destination"');
        expect(q.match(/reporter="waypoint"/g)?.length).toBe(q.split('increase(').length - 1);
      }
      expect(requests.length).toBeGreaterThan(0);
    }
    const own = await source(() => EMPTY_VECTOR).source.fetch(metric({ template: 'istio-latency' }), { ...context(), baseline: { ...context().baseline, reporter: 'source' }, reporter: 'waypoint' });
    expect(own.queries.baseline[0]).toMatch(/\{destination_workload_namespace="ml",destination_version="v1",reporter="source"\}/);
    expect(own.queries.canary[0]).toContain('reporter="waypoint"');
  });

  it('proportion: no series on either side -> 0/0 and noSeries', async () => {
    const empty = await source(() => EMPTY_VECTOR).source.fetch(metric({ template: 'istio-error-rate' }), context());
    expect(empty).toMatchObject({ kind: 'proportion', baseline: { events: 0, total: 0 }, canary: { events: 0, total: 0 }, noSeries: true });
  });

  it.each<[string, SampleFaultCode]>([
    ['NaN', 'nan'],
    ['+Inf', 'infinite'],
    ['-Inf', 'infinite'],
  ])('proportion: a %s count is a fault, never zero', async (value, code) => {
    const error = await faulty(source(() => vector([[{}, value]])).source.fetch(metric({ template: 'istio-requests' }), context()));
    expect(error.reason).toBe('invalid-samples');
    expect(new Set(error.faults.map((f) => `${f.code} ${f.side} ${f.role}`))).toEqual(new Set([`${code} baseline events`, `${code} baseline total`, `${code} canary events`, `${code} canary total`]));
  });

  it('proportion: separately extrapolated counters that overshoot slightly are clamped; a large excess is malformed', async () => {
    const ev = (side: string) => `sum(increase(errs{${NS},${side}}[600s]))`;
    const tot = (side: string) => `sum(increase(reqs{${NS},${side}}[600s]))`;
    const m = metric({ template: 'proportion', events: 'errs', total: 'reqs' });
    const slight = source(byQuery({ [ev(V1)]: vector([[{}, '101']]), [tot(V1)]: vector([[{}, '100.4']]), [ev(V2)]: vector([[{}, '1']]), [tot(V2)]: EMPTY_VECTOR })).source;
    expect(await slight.fetch(m, context())).toMatchObject({ baseline: { events: 100, total: 100 }, canary: { events: 0, total: 0 } });
    const swapped = source(byQuery({ [ev(V1)]: vector([[{}, '1000']]), [tot(V1)]: vector([[{}, '10']]), [ev(V2)]: EMPTY_VECTOR, [tot(V2)]: EMPTY_VECTOR })).source;
    const error = await faulty(swapped.fetch(m, context()));
    expect(error.faults).toEqual([expect.objectContaining({ code: 'events-exceed-total', side: 'baseline', events: 1000, total: 10 })]);
    expect(error.message).toMatch(/1000 events exceed the total of 10/);
  });

  it('categorical: label value -> count pairs, sorted by name, rounded; a series without the label is ""', async () => {
    const q = (side: string) => `sum by (class) (increase(preds_total{${NS},${side}}[600s]))`;
    const { source: s } = source(
      byQuery({
        [q(V1)]: vector([[{ class: 'dog' }, '490.4'], [{ class: 'cat' }, '509.6'], [{ class: 'toString' }, '1'], [{}, '2']]),
        [q(V2)]: vector([[{ class: 'cat' }, '48']]),
      }),
    );
    const fetched = await s.fetch(metric({ template: 'categorical', metric: 'preds_total', by: 'class' }), context());
    expect(fetched.kind).toBe('categorical');
    expect(fetched.baseline).toEqual({ counts: [['', 2], ['cat', 510], ['dog', 490], ['toString', 1]] });
    expect(fetched.canary).toEqual({ counts: [['cat', 48]] });
  });

  it('query: every step of every series is one value; NaN dropped; start, end, step sent', async () => {
    const { source: s, requests } = source((r) =>
      r.params.query.includes('v1')
        ? matrix([
            [{ pod: 'a' }, ['41.5', '39.25', 'NaN']],
            [{ pod: 'b' }, ['55']],
          ])
        : matrix([]),
    );
    const fetched = await s.fetch(metric({ template: 'query', query: 'x{ {{labels}} }', kind: 'distribution' }), context());
    expect(fetched.kind).toBe('distribution');
    expect(fetched.baseline).toEqual({ values: [41.5, 39.25, 55] });
    expect(fetched.canary).toEqual({ values: [] });
    expect(fetched.noSeries).toBeUndefined();
    expect(requests[0].url).toBe('http://prometheus:9090/api/v1/query_range');
  });

  it('query: +Inf in a value (histogram_quantile in the +Inf bucket) is a fault', async () => {
    const { source: s } = source(() => matrix([[{}, ['1', '+Inf']]]));
    const error = await faulty(s.fetch(metric({ template: 'query', query: 'x{{{labels}}}' }), context()));
    expect(error.faults[0]).toMatchObject({ code: 'infinite', role: 'values', at: 1700000010, value: Infinity });
    expect(error.message).toMatch(/values series \{\} at 2023-11-14T22:13:30.000Z: the sample is \+Inf/);
  });
});

describe('parallel queries and failures', () => {
  it('sends all of one metric\'s queries at once', async () => {
    let release!: () => void;
    const allIn = new Promise<void>((resolve) => (release = resolve));
    let inFlight = 0;
    const { source: s } = source(async () => {
      if (++inFlight === 4) release();
      await allIn; // deadlocks (and times out) if the queries were sent one after another
      return vector([[{}, '1']]);
    });
    const fetched = await s.fetch(metric({ template: 'istio-error-rate' }), context());
    expect(inFlight).toBe(4);
    expect(fetched).toMatchObject({ baseline: { events: 1, total: 1 } });
  });

  it('the first failure ends the fetch at once and abandons the other queries', async () => {
    const { source: s, requests } = source((r) =>
      r.params.query.includes('v2') && r.params.query.includes('5..') ? promError(503, 'unavailable', 'too many queries') : new Promise<CannedAnswer>(() => undefined),
    );
    const started = Date.now();
    const error = await unavailable(s.fetch(metric({ template: 'istio-error-rate' }), context()));
    expect(error.reason).toBe('status');
    expect(error.message).toMatch(/HTTP 503: unavailable: too many queries/);
    expect(Date.now() - started).toBeLessThan(500);
    expect(requests).toHaveLength(4);
    for (const r of requests) expect(r.signal?.aborted).toBe(true);
  });

  it('the analysis deadline aborts every query -> timeout', async () => {
    const { source: s } = source(() => new Promise<CannedAnswer>(() => undefined), 5000);
    const error = await unavailable(s.fetch(metric({ template: 'istio-latency' }), context({ signal: AbortSignal.timeout(100) })));
    expect(error.reason).toBe('timeout');
    expect(error.message).toMatch(/analysis deadline/);
  });

  it('the per-query timeout applies when Prometheus hangs', async () => {
    const { source: s } = source(() => new Promise<CannedAnswer>(() => undefined), 100);
    const error = await unavailable(s.fetch(metric({ template: 'istio-latency' }), context()));
    expect(error.reason).toBe('timeout');
    expect(error.message).toMatch(/did not answer within 100 ms/);
  });
});
