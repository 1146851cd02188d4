/**
 * How much heap `JSON.parse` of a body will take, estimated from its bytes before it is parsed.
 *
 * Why: a judge worker's heap is capped (WORKER_HEAP_MB) and Node ends a worker that reaches its
 * cap, not the process, but only from JavaScript. `JSON.parse` runs in V8's C++ parser, which
 * cannot be interrupted: when it needs more than the cap plus Node's 16 MB of leeway, V8 aborts
 * the whole process (FatalProcessOutOfMemory), every rollout's look with it. So a body is parsed
 * only when its estimate fits in the heap the worker has free, and is refused with 413 otherwise.
 *
 * The model is an upper bound per JSON value, fitted on Node 20 (V8 11.3) by finding, for each
 * shape, the smallest `--max-old-space-size` that parses 300,000 of them. Measured heap per
 * element, its text included, against the model's: a double 24.5 (model 29.7), an empty object
 * 70 (75), an empty array 38 (67), `["c123",123]` 112 (142), `{"a":1.5}` 73 (160), a short
 * string 42 (55), a key of a 300,000-key object 91 (98), `[[1]]` 129 (142). The text counts one
 * byte per character for ASCII, two otherwise (V8 keeps non-Latin-1 strings as UTF-16).
 * test/service/parse-cost.test.ts parses each shape in a worker whose heap is the estimate.
 */

const COST = {
  /** A JSObject with its elements store. */
  object: 64,
  /** A JSArray with its elements store. */
  array: 48,
  /** A property slot of a (dictionary-mode, when large) object. */
  property: 24,
  /** An element slot, counted once per separator or first element. */
  element: 8,
  /** A HeapNumber (a double is boxed while the parser collects an array's elements). */
  number: 12,
  /** A string's header and hash; its characters are counted as text. */
  string: 32,
};

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isNumberStart = (b: number) => b === 0x2d || (b >= 0x30 && b <= 0x39);

/** An upper bound on the heap bytes JSON.parse takes for `body` (the string it parses included). */
export function estimateParseBytes(body: Uint8Array): number {
  let objects = 0;
  let arrays = 0;
  let properties = 0;
  let separators = 0;
  let numbers = 0;
  let strings = 0;
  let stringBytes = 0;
  let ascii = true;
  let inString = false;
  let escaped = false;
  // Whether the next non-blank byte starts a value (after `[`, `,`, `:` or at the start).
  let valueExpected = true;
  for (let i = 0; i < body.length; i++) {
    const b = body[i];
    if (b >= 0x80) ascii = false;
    if (inString) {
      stringBytes++;
      if (escaped) escaped = false;
      else if (b === BACKSLASH) escaped = true;
      else if (b === QUOTE) inString = false;
      continue;
    }
    switch (b) {
      case QUOTE:
        inString = true;
        strings++;
        valueExpected = false;
        break;
      case 0x7b: // {
        objects++;
        valueExpected = true;
        break;
      case 0x5b: // [
        arrays++;
        valueExpected = true;
        break;
      case 0x3a: // :
        properties++;
        valueExpected = true;
        break;
      case 0x2c: // ,
        separators++;
        valueExpected = true;
        break;
      case 0x20:
      case 0x09:
      case 0x0a:
      case 0x0d:
        break;
      default:
        if (valueExpected && isNumberStart(b)) numbers++;
        valueExpected = false;
    }
  }
  const text = body.length * (ascii ? 1 : 2);
  return (
    text +
    objects * COST.object +
    arrays * COST.array +
    properties * COST.property +
    (separators + arrays) * COST.element +
    numbers * COST.number +
    strings * COST.string +
    stringBytes * (ascii ? 1 : 2)
  );
}
