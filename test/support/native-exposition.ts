/**
 * Prometheus' protobuf exposition (`application/vnd.google.protobuf;
 * proto=io.prometheus.client.MetricFamily; encoding=delimited`), written by hand for the tests:
 * the only way Prometheus 2.x scrapes native histograms. Each MetricFamily is a length-delimited
 * protobuf message; the fields used are those of client_model's metrics.proto (Prometheus keeps a
 * copy at prompb/io/prometheus/client/metrics.proto):
 *
 *   MetricFamily { name = 1; type = 3 (HISTOGRAM = 4); metric = 4 }
 *   Metric { label = 1 (LabelPair { name = 1; value = 2 }); timestamp_ms = 6; histogram = 7 }
 *   Histogram { sample_count = 1; sample_sum = 2 (double); bucket = 3 (Bucket { cumulative_count = 1;
 *     upper_bound = 2 (double) }); schema = 5 (sint32); zero_threshold = 6 (double);
 *     zero_count = 7; positive_span = 12 (BucketSpan { offset = 1 (sint32); length = 2 });
 *     positive_delta = 13 (sint64) }
 *
 * Prometheus 2.42 reads a histogram as native when it has deltas, a zero count or a zero
 * threshold (model/textparse/protobufparse.go, isNativeHistogram); otherwise as classic buckets.
 */

/** A native histogram with integer counts: the zero bucket and the positive buckets by index at its schema. */
export interface NativeExposed {
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  /** [bucket index, count], any order; counts are absolute (turned into deltas here). */
  readonly buckets: readonly (readonly [number, number])[];
  readonly count: number;
  readonly sum: number;
}

/** A classic histogram: cumulative counts per upper bound (+Inf implied by the count). */
export interface ClassicExposed {
  readonly classic: readonly (readonly [upperBound: number, cumulative: number])[];
  readonly count: number;
  readonly sum: number;
}

export interface ExposedMetric {
  readonly labels: Readonly<Record<string, string>>;
  readonly timestampMs?: number;
  readonly histogram: NativeExposed | ClassicExposed;
}

export interface ExposedFamily {
  readonly name: string;
  readonly metrics: readonly ExposedMetric[];
}

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/** The delimited exposition of the families. */
export function encodeExposition(families: readonly ExposedFamily[]): Buffer {
  return Buffer.concat(families.map((f) => delimited(family(f))));
}

function family(f: ExposedFamily): Buffer {
  return Buffer.concat([string(1, f.name), varintField(3, 4), ...f.metrics.map((m) => message(4, metric(m)))]);
}

function metric(m: ExposedMetric): Buffer {
  const labels = Object.entries(m.labels).map(([name, value]) => message(1, Buffer.concat([string(1, name), string(2, value)])));
  return Buffer.concat([...labels, message(7, histogram(m.histogram)), ...(m.timestampMs !== undefined ? [varintField(6, m.timestampMs)] : [])]);
}

function histogram(h: NativeExposed | ClassicExposed): Buffer {
  const head = [varintField(1, h.count), doubleField(2, h.sum)];
  if ('classic' in h) return Buffer.concat([...head, ...h.classic.map(([upper, cumulative]) => message(3, Buffer.concat([varintField(1, cumulative), doubleField(2, upper)])))]);
  const sorted = [...h.buckets].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const spans: Buffer[] = [];
  const deltas: Buffer[] = [];
  let previousIndex: number | undefined;
  let previousCount = 0;
  let span: { offset: number; length: number } | undefined;
  for (const [index, count] of sorted) {
    if (previousIndex === undefined || index !== previousIndex + 1) {
      if (span) spans.push(message(12, Buffer.concat([varintField(1, zigzag(span.offset)), varintField(2, span.length)])));
      span = { offset: previousIndex === undefined ? index : index - previousIndex - 1, length: 0 };
    }
    span!.length++;
    deltas.push(varintField(13, zigzag(count - previousCount)));
    previousCount = count;
    previousIndex = index;
  }
  if (span) spans.push(message(12, Buffer.concat([varintField(1, zigzag(span.offset)), varintField(2, span.length)])));
  return Buffer.concat([...head, varintField(5, zigzag(h.schema)), doubleField(6, h.zeroThreshold), varintField(7, h.zeroCount), ...spans, ...deltas]);
}

function zigzag(n: number): bigint {
  const big = BigInt(n);
  return big >= 0n ? big << 1n : (-big << 1n) - 1n;
}

function varint(value: number | bigint): Buffer {
  let v = BigInt(value);
  if (v < 0n) throw new Error('varint of a negative number');
  const bytes: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    bytes.push(byte);
  } while (v);
  return Buffer.from(bytes);
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const varintField = (field: number, value: number | bigint) => Buffer.concat([key(field, 0), varint(value)]);
function doubleField(field: number, value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return Buffer.concat([key(field, 1), b]);
}
const message = (field: number, body: Buffer) => Buffer.concat([key(field, 2), varint(body.length), body]);
const string = (field: number, text: string) => message(field, Buffer.from(text, 'utf8'));
const delimited = (body: Buffer) => Buffer.concat([varint(body.length), body]);
