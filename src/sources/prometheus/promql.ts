/**
 * Building PromQL from a request without letting the request change it beyond its labels.
 *
 * Label values become double-quoted PromQL strings with every character that could end or
 * bend the string escaped (backslash, double quote, control characters); label and metric
 * names are checked against Prometheus' classic name syntax before they are written at all.
 * Anything that does not fit throws `PromQLInputError`: the request can never succeed as sent.
 */
import type { Labels } from '../metric-source';

/** A request gave something that cannot go into a query (bad label or metric name, bad template). */
export class PromQLInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromQLInputError';
  }
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABELS_PLACEHOLDER = '{{labels}}';

/** Throws unless `name` is a label name a request may match on (reserved `__` names are refused). */
export function checkLabelName(name: string): string {
  if (!LABEL_NAME.test(name)) {
    throw new PromQLInputError(`${JSON.stringify(name)} is not a Prometheus label name: use letters, digits and underscores, not starting with a digit.`);
  }
  if (name.startsWith('__')) {
    throw new PromQLInputError(`${JSON.stringify(name)} is a reserved Prometheus label name (it starts with "__"), so it cannot be used as a selector.`);
  }
  return name;
}

/** Throws unless `name` is a Prometheus metric name. */
export function checkMetricName(name: string): string {
  if (!METRIC_NAME.test(name)) {
    throw new PromQLInputError(`${JSON.stringify(name)} is not a Prometheus metric name: use letters, digits, underscores and colons, not starting with a digit.`);
  }
  return name;
}

/** A label value as a double-quoted PromQL string literal. */
export function quoteLabelValue(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** `name="value"` pairs in the order given, without braces (`a="1",b="2"`); '' for no labels. */
export function labelMatchers(labels: Labels): string[] {
  return Object.entries(labels).map(([name, value]) => {
    if (typeof value !== 'string') throw new PromQLInputError(`the value of label ${JSON.stringify(name)} must be a string.`);
    return `${checkLabelName(name)}=${quoteLabelValue(value)}`;
  });
}

/**
 * `metric{fixed...,labels...,extra...}`. `fixed` matchers are the template's defaults
 * (e.g. reporter="destination"): a label of the same name in `labels` replaces one.
 * `extra` are raw matchers the template always adds at the end (e.g. response_code=~"5..").
 */
export function selector(metric: string, labels: Labels, options: { defaults?: Labels; extra?: readonly string[] } = {}): string {
  const defaults = Object.fromEntries(Object.entries(options.defaults ?? {}).filter(([name]) => !Object.hasOwn(labels, name)));
  const matchers = [...labelMatchers(defaults), ...labelMatchers(labels), ...(options.extra ?? [])];
  return `${checkMetricName(metric)}{${matchers.join(',')}}`;
}

/** A range as whole seconds, e.g. `[600s]` (at least 1 s). */
export function rangeSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new PromQLInputError(`the time window must be a positive number of seconds, got ${seconds}.`);
  return `[${Math.max(1, Math.round(seconds))}s]`;
}

/**
 * Fills every `{{labels}}` of a custom query with one side's matchers (`extra`: raw matchers
 * after them, such as the revision's `pod=~"..."`).
 *
 * Inside braces (`{ {{labels}} }`, `{{{labels}}}`, `{job="x", {{labels}}}`) the matchers are
 * inserted comma-joined; with no labels the placeholder goes away together with the comma
 * that would dangle. Outside braces (`foo{{labels}}`) it becomes `{matchers}`, or nothing.
 * String literals and comments are left alone; a query without a placeholder outside them is
 * refused (both sides would send the same query).
 */
export function fillLabels(template: string, labels: Labels, extra: readonly string[] = []): string {
  const matchers = [...labelMatchers(labels), ...extra].join(',');
  let out = '';
  let depth = 0;
  let filled = 0;
  let i = 0;
  while (i < template.length) {
    if (template.startsWith(LABELS_PLACEHOLDER, i)) {
      filled++;
      i += LABELS_PLACEHOLDER.length;
      if (depth === 0) {
        out += matchers ? `{${matchers}}` : '';
      } else if (matchers) {
        out += matchers;
      } else {
        // Drop the comma that would dangle: `x, {{labels}}}` or `{{{labels}}, x` or `x, {{labels}}, y`.
        const next = nextNonSpace(template, i);
        const prevIndex = lastNonSpaceIndex(out);
        const prev = prevIndex >= 0 ? out[prevIndex] : '';
        if (prev === ',' && (template[next] === '}' || template[next] === ',')) out = out.slice(0, prevIndex);
        else if (prev === '{' && template[next] === ',') i = next + 1;
      }
      continue;
    }
    const ch = template[i];
    if (ch === '"' || ch === "'" || ch === '`') {
      const end = stringEnd(template, i);
      out += template.slice(i, end);
      i = end;
      continue;
    }
    if (ch === '#') {
      const end = template.indexOf('\n', i);
      const stop = end === -1 ? template.length : end;
      out += template.slice(i, stop);
      i = stop;
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    out += ch;
    i++;
  }
  if (filled === 0) {
    throw new PromQLInputError(`the query must contain ${LABELS_PLACEHOLDER} (outside strings and comments) where each side's label matchers go.`);
  }
  return out;
}

/** Index just past a string literal opened at `start` (backticks: raw, no escapes). */
function stringEnd(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\' && quote !== '`') i += 2;
    else if (text[i] === quote) return i + 1;
    else i++;
  }
  return text.length;
}

function nextNonSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i])) i++;
  return i;
}

function lastNonSpaceIndex(text: string): number {
  let i = text.length - 1;
  while (i >= 0 && /\s/.test(text[i])) i--;
  return i;
}
