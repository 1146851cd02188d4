import fc from 'fast-check';
import { checkLabelName, checkMetricName, fillLabels, labelMatchers, PromQLInputError, quoteLabelValue, rangeSeconds, selector } from '../../src/sources/prometheus/promql';

/**
 * PromQL's double-quoted string as its lexer reads it (Go escapes): returns the decoded value
 * and the index just past the closing quote, so a test sees whether a string ended early.
 */
function readPromString(text: string, start = 0): { value: string; end: number } {
  if (text[start] !== '"') throw new Error('not a string');
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') return { value: new TextDecoder().decode(new Uint8Array(bytes)), end: i + 1 };
    if (ch === '\n') throw new Error('raw newline inside a string');
    if (ch === '\\') {
      const e = text[i + 1];
      const simple: Record<string, number> = { n: 10, r: 13, t: 9, '\\': 92, '"': 34, a: 7, b: 8, f: 12, v: 11 };
      if (e in simple) {
        bytes.push(simple[e]);
        i += 2;
      } else if (e === 'x') {
        bytes.push(parseInt(text.slice(i + 2, i + 4), 16));
        i += 4;
      } else {
        throw new Error(`unknown escape \\${e}`);
      }
      continue;
    }
    const cp = text.codePointAt(i)!;
    const s = String.fromCodePoint(cp);
    bytes.push(...encoder.encode(s));
    i += s.length;
  }
  throw new Error('unterminated string');
}

describe('quoteLabelValue', () => {
  it.each([
    ['v2', '"v2"'],
    ['', '""'],
    ['v2"} or vector(1) #', '"v2\\"} or vector(1) #"'],
    ['a\\"b', '"a\\\\\\"b"'],
    ['line1\nline2', '"line1\\nline2"'],
    ['tab\there\rcr', '"tab\\there\\rcr"'],
    ['nul\u0000bel\u0007del\u007f', '"nul\\x00bel\\x07del\\x7f"'],
    ['ünïcødé 🚀 版本', '"ünïcødé 🚀 版本"'],
    ['${x} {{labels}} `q`', '"${x} {{labels}} `q`"'],
  ])('%j -> %s', (value, quoted) => {
    expect(quoteLabelValue(value)).toBe(quoted);
  });

  it('always yields one string literal that decodes to the value (no way out of the string)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const quoted = quoteLabelValue(value);
        const { value: decoded, end } = readPromString(quoted);
        expect(end).toBe(quoted.length);
        // Lone surrogates cannot be sent as UTF-8 at all; everything else must round-trip.
        expect(decoded).toBe(Buffer.from(value, 'utf8').toString('utf8'));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('label and metric names', () => {
  it.each(['destination_workload', 'reporter', '_private', 'A1_b2'])('accepts label name %s', (name) => {
    expect(checkLabelName(name)).toBe(name);
  });

  it.each(['1abc', 'a-b', 'a b', 'a"', '', 'ünï', 'a{b', 'a="x"} or vector(1) #', 'le\n'])('refuses label name %j with a sentence', (name) => {
    expect(() => checkLabelName(name)).toThrow(PromQLInputError);
    expect(() => checkLabelName(name)).toThrow(/is not a Prometheus label name: use letters, digits and underscores/);
  });

  it('refuses reserved names such as __name__ (they would change the metric, not the side)', () => {
    expect(() => checkLabelName('__name__')).toThrow(/reserved Prometheus label name/);
    expect(() => labelMatchers({ __name__: 'up' })).toThrow(PromQLInputError);
  });

  it.each(['istio_requests_total', 'job:request_latency:rate5m', ':odd', '_x'])('accepts metric name %s', (name) => {
    expect(checkMetricName(name)).toBe(name);
  });

  it.each(['1foo', 'foo{bar="x"}', 'foo or vector(1)', 'foo-bar', '', 'foo\n'])('refuses metric name %j', (name) => {
    expect(() => checkMetricName(name)).toThrow(/is not a Prometheus metric name/);
  });
});

describe('labelMatchers and selector', () => {
  it('writes exact matchers in the given order', () => {
    expect(labelMatchers({ destination_workload_namespace: 'ml', destination_version: 'v2' })).toEqual(['destination_workload_namespace="ml"', 'destination_version="v2"']);
    expect(labelMatchers({})).toEqual([]);
  });

  it('puts template defaults first, lets a request label replace them, and extra matchers last', () => {
    const opts = { defaults: { reporter: 'destination' }, extra: ['response_code=~"5.."'] };
    expect(selector('istio_requests_total', { app: 'm' }, opts)).toBe('istio_requests_total{reporter="destination",app="m",response_code=~"5.."}');
    expect(selector('istio_requests_total', { app: 'm', reporter: 'source' }, opts)).toBe('istio_requests_total{app="m",reporter="source",response_code=~"5.."}');
    expect(selector('up', {})).toBe('up{}');
  });

  it('refuses a label name that is not a Prometheus name instead of writing it', () => {
    expect(() => selector('up', { 'a="1"} or vector(1) #': 'x' })).toThrow(PromQLInputError);
  });
});

describe('rangeSeconds', () => {
  it.each([
    [600, '[600s]'],
    [599.6, '[600s]'],
    [3600.4, '[3600s]'],
    [0.2, '[1s]'],
  ])('%d s -> %s', (seconds, range) => {
    expect(rangeSeconds(seconds)).toBe(range);
  });

  it.each([0, -5, NaN, Infinity])('refuses %d', (seconds) => {
    expect(() => rangeSeconds(seconds)).toThrow(PromQLInputError);
  });
});

describe('fillLabels', () => {
  const two = { destination_workload: 'model', destination_version: 'v2' };
  const both = 'destination_workload="model",destination_version="v2"';

  it.each([
    ['sum(rate(x{ {{labels}} }[5m]))', `sum(rate(x{ ${both} }[5m]))`, 'sum(rate(x{  }[5m]))'],
    ['sum(rate(x{{{labels}}}[5m]))', `sum(rate(x{${both}}[5m]))`, 'sum(rate(x{}[5m]))'],
    ['x{job="x", {{labels}}}', `x{job="x", ${both}}`, 'x{job="x"}'],
    ['x{job="x",{{labels}} }', `x{job="x",${both} }`, 'x{job="x" }'],
    ['x{ {{labels}}, job="x"}', `x{ ${both}, job="x"}`, 'x{  job="x"}'],
    ['x{{{labels}},job="x"}', `x{${both},job="x"}`, 'x{job="x"}'],
    ['x{a="1", {{labels}}, b="2"}', `x{a="1", ${both}, b="2"}`, 'x{a="1", b="2"}'],
    ['rate(x{{labels}}[5m])', `rate(x{${both}}[5m])`, 'rate(x[5m])'],
    [
      'sum(rate(err{ {{labels}} }[1m])) / sum(rate(req{ {{labels}} }[1m]))',
      `sum(rate(err{ ${both} }[1m])) / sum(rate(req{ ${both} }[1m]))`,
      'sum(rate(err{  }[1m])) / sum(rate(req{  }[1m]))',
    ],
  ])('%s', (template, filled, empty) => {
    expect(fillLabels(template, two)).toBe(filled);
    expect(fillLabels(template, {})).toBe(empty);
  });

  it('leaves braces and placeholders inside strings and comments alone', () => {
    const template = 'label_replace(x{ {{labels}} }, "dst", "{{labels}} {", "src", "(.*)") # {{labels}} }';
    expect(fillLabels(template, { a: 'b' })).toBe('label_replace(x{ a="b" }, "dst", "{{labels}} {", "src", "(.*)") # {{labels}} }');
    expect(fillLabels('x{path="a\\"{", {{labels}}}', {})).toBe('x{path="a\\"{"}');
  });

  it('escapes the values it inserts', () => {
    expect(fillLabels('x{ {{labels}} }', { v: 'v2"} or vector(1) #' })).toBe('x{ v="v2\\"} or vector(1) #" }');
  });

  it('refuses a query without {{labels}} (both sides would send the same query)', () => {
    expect(() => fillLabels('sum(rate(x[5m]))', { a: 'b' })).toThrow(/must contain \{\{labels\}\}/);
    expect(() => fillLabels('x{a="{{labels}}"}', { a: 'b' })).toThrow(PromQLInputError);
  });

  it('refuses bad label names', () => {
    expect(() => fillLabels('x{ {{labels}} }', { 'bad name': 'v' })).toThrow(PromQLInputError);
  });
});
