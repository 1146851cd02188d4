/**
 * A small renderer for the subset of Helm's Go templates that charts/canary-judge uses.
 * Helm is not installable on this machine; this renderer lets the tests render the chart and
 * validate the output. It refuses (throws) on anything outside the subset rather than guess.
 *
 * Supported (see charts/canary-judge/README.md):
 *   actions      {{ pipeline }}, {{- ... -}} whitespace trimming, {{/* comments *\/}}
 *   control      if / else if / else / end, with / else / end, range (lists and maps;
 *                optional `$v :=` or `$k, $v :=`) / end, define "name" / end
 *   operands     .  .Values.a.b  .Release.Name/.Namespace  .Chart.Name/.Version/.AppVersion
 *                $  $.Values.x  $var  $var.field  "string"  `raw`  numbers  true false nil
 *                ( pipeline )
 *   functions    quote default toYaml indent nindent include trunc trimSuffix not and or
 *                eq ne lt le gt ge int add sub mul div printf (%s %d %v only) sha256sum fail
 *   pipelines    a | f x  ==  f x a
 *
 * Semantics follow Helm where they matter: field access on a missing parent is an error (Helm:
 * "nil pointer evaluating"), toYaml sorts map keys and drops the final newline, Go truthiness
 * (false, 0, nil, "", empty list or map are false). Deliberately stricter than Helm: printing a
 * missing value (Helm prints an empty string) or a map/list without toYaml throws.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';

export interface RenderContext {
  Values: Record<string, unknown>;
  Release: { Name: string; Namespace: string; Service: string };
  Chart: { Name: string; Version: string; AppVersion: string };
}

// ---------------------------------------------------------------- lexing of the template

type Segment = { kind: 'text'; text: string } | { kind: 'action'; body: string; pos: number };

function splitTemplate(src: string): Segment[] {
  const segs: Segment[] = [];
  let i = 0;
  let trimNextText = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNextText) text = text.replace(/^\s+/, '');
    trimNextText = false;
    if (open < 0) {
      segs.push({ kind: 'text', text });
      break;
    }
    let start = open + 2;
    if (src.startsWith('- ', start) || src.startsWith('-\n', start) || src.startsWith('-\t', start)) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    segs.push({ kind: 'text', text });
    // find the closing }} outside string literals
    let j = start;
    let quote: string | null = null;
    while (j < src.length) {
      const c = src[j];
      if (quote) {
        if (c === '\\' && quote === '"') j++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === '`') quote = c;
      else if (src.startsWith('}}', j)) break;
      j++;
    }
    if (j >= src.length) throw new Error(`unclosed action at offset ${open}`);
    let end = j;
    if (src[end - 1] === '-' && /\s/.test(src[end - 2] ?? '')) {
      end -= 1;
      trimNextText = true;
    }
    segs.push({ kind: 'action', body: src.slice(start, end).trim(), pos: open });
    i = j + 2;
  }
  return segs;
}

// ---------------------------------------------------------------- expressions

type Tok =
  | { t: 'field'; path: string[] } // .a.b  (empty path = dot)
  | { t: 'var'; name: string; path: string[] } // $ or $x, with optional .a.b
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'ident'; v: string }
  | { t: 'pipe' }
  | { t: 'lp' }
  | { t: 'rp' }
  | { t: 'assign' }
  | { t: 'comma' };

function lexExpr(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const ident = /[A-Za-z0-9_]/;
  const readPath = (): string[] => {
    const p: string[] = [];
    while (s[i] === '.' && ident.test(s[i + 1] ?? '')) {
      i++;
      let name = '';
      while (i < s.length && ident.test(s[i])) name += s[i++];
      p.push(name);
    }
    return p;
  };
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '|') {
      out.push({ t: 'pipe' });
      i++;
    } else if (c === '(') {
      out.push({ t: 'lp' });
      i++;
    } else if (c === ')') {
      out.push({ t: 'rp' });
      i++;
    } else if (c === ',') {
      out.push({ t: 'comma' });
      i++;
    } else if (s.startsWith(':=', i)) {
      out.push({ t: 'assign' });
      i += 2;
    } else if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      out.push({ t: 'str', v: JSON.parse(s.slice(i, j + 1)) as string });
      i = j + 1;
    } else if (c === '`') {
      const j = s.indexOf('`', i + 1);
      out.push({ t: 'str', v: s.slice(i + 1, j) });
      i = j + 1;
    } else if (c === '.') {
      if (ident.test(s[i + 1] ?? '')) out.push({ t: 'field', path: readPath() });
      else {
        out.push({ t: 'field', path: [] });
        i++;
      }
    } else if (c === '$') {
      i++;
      let name = '';
      while (i < s.length && ident.test(s[i])) name += s[i++];
      out.push({ t: 'var', name, path: readPath() });
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(s.slice(i));
      if (!m) throw new Error(`bad number in "${s}"`);
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      let name = '';
      while (i < s.length && ident.test(s[i])) name += s[i++];
      out.push({ t: 'ident', v: name });
    } else {
      throw new Error(`unsupported character "${c}" in "${s}"`);
    }
  }
  return out;
}

type Expr =
  | { e: 'field'; path: string[] }
  | { e: 'var'; name: string; path: string[] }
  | { e: 'lit'; v: unknown }
  | { e: 'call'; fn: string; args: Expr[] }
  | { e: 'pipeline'; cmds: Expr[][] }; // each command: operands; first may be a function ident

interface Pipeline {
  decl: string[]; // variable names declared with :=
  cmds: Expr[][];
}

function parsePipeline(toks: Tok[], allowDecl: boolean): Pipeline {
  let pos = 0;
  const decl: string[] = [];
  if (allowDecl) {
    const assignAt = toks.findIndex((t) => t.t === 'assign');
    if (assignAt >= 0) {
      for (let k = 0; k < assignAt; k++) {
        const t = toks[k];
        if (t.t === 'var' && t.path.length === 0) decl.push(t.name);
        else if (t.t !== 'comma') throw new Error('bad variable declaration');
      }
      pos = assignAt + 1;
    }
  }
  const parseOperand = (): Expr => {
    const t = toks[pos++];
    if (!t) throw new Error('unexpected end of expression');
    switch (t.t) {
      case 'field':
        return { e: 'field', path: t.path };
      case 'var':
        return { e: 'var', name: t.name, path: t.path };
      case 'str':
        return { e: 'lit', v: t.v };
      case 'num':
        return { e: 'lit', v: t.v };
      case 'ident':
        if (t.v === 'true') return { e: 'lit', v: true };
        if (t.v === 'false') return { e: 'lit', v: false };
        if (t.v === 'nil') return { e: 'lit', v: null };
        return { e: 'lit', v: { fn: t.v } };
      case 'lp': {
        const cmds = parseCmds(true);
        if (toks[pos++]?.t !== 'rp') throw new Error('missing )');
        return { e: 'pipeline', cmds };
      }
      default:
        throw new Error(`unexpected token ${t.t}`);
    }
  };
  const parseCmds = (nested: boolean): Expr[][] => {
    const cmds: Expr[][] = [];
    let cur: Expr[] = [];
    while (pos < toks.length) {
      const t = toks[pos];
      if (t.t === 'rp') {
        if (!nested) throw new Error('unexpected )');
        break;
      }
      if (t.t === 'pipe') {
        pos++;
        cmds.push(cur);
        cur = [];
        continue;
      }
      cur.push(parseOperand());
    }
    cmds.push(cur);
    if (cmds.some((c) => c.length === 0)) throw new Error('empty command in pipeline');
    return cmds;
  };
  const cmds = parseCmds(false);
  return { decl, cmds };
}

// ---------------------------------------------------------------- template tree

type Node =
  | { n: 'text'; text: string }
  | { n: 'out'; pipe: Pipeline }
  | { n: 'if'; branches: { cond: Pipeline | null; body: Node[] }[] }
  | { n: 'with'; pipe: Pipeline; body: Node[]; elseBody: Node[] }
  | { n: 'range'; pipe: Pipeline; body: Node[]; elseBody: Node[] };

interface Parsed {
  nodes: Node[];
  defines: Map<string, Node[]>;
}

function parseTemplate(src: string, file: string): Parsed {
  const segs = splitTemplate(src);
  const defines = new Map<string, Node[]>();
  let k = 0;
  const where = (s: Segment): string => `${file}@${s.kind === 'action' ? s.pos : '?'}`;
  // Parses nodes until one of the stop keywords; returns the nodes and the stopping action body.
  const parseNodes = (stops: string[]): { nodes: Node[]; stop: string | null } => {
    const nodes: Node[] = [];
    while (k < segs.length) {
      const s = segs[k++];
      if (s.kind === 'text') {
        if (s.text) nodes.push({ n: 'text', text: s.text });
        continue;
      }
      const body = s.body;
      if (body.startsWith('/*')) {
        if (!body.endsWith('*/')) throw new Error(`bad comment at ${where(s)}`);
        continue;
      }
      const kw = /^([a-z]+)\b\s*(.*)$/s.exec(body);
      const word = kw?.[1] ?? '';
      const rest = kw?.[2] ?? '';
      try {
        if (stops.includes(word)) return { nodes, stop: body };
        if (word === 'if') {
          const branches: { cond: Pipeline | null; body: Node[] }[] = [];
          let cond: Pipeline | null = parsePipeline(lexExpr(rest), false);
          for (;;) {
            const r = parseNodes(['else', 'end']);
            branches.push({ cond, body: r.nodes });
            if (r.stop === null) throw new Error('if without end');
            if (r.stop === 'end') break;
            const elseRest = r.stop.replace(/^else\s*/, '');
            if (elseRest.startsWith('if ')) cond = parsePipeline(lexExpr(elseRest.slice(3)), false);
            else if (elseRest === '') {
              const r2 = parseNodes(['end']);
              if (r2.stop === null) throw new Error('if/else without end');
              branches.push({ cond: null, body: r2.nodes });
              break;
            } else throw new Error(`unsupported "${r.stop}"`);
          }
          nodes.push({ n: 'if', branches });
        } else if (word === 'with' || word === 'range') {
          const pipe = parsePipeline(lexExpr(rest), word === 'range');
          const r = parseNodes(['else', 'end']);
          let elseBody: Node[] = [];
          if (r.stop === 'else') {
            const r2 = parseNodes(['end']);
            if (r2.stop === null) throw new Error(`${word}/else without end`);
            elseBody = r2.nodes;
          } else if (r.stop !== 'end') throw new Error(`${word} without end`);
          nodes.push({ n: word, pipe, body: r.nodes, elseBody });
        } else if (word === 'define') {
          const name = JSON.parse(rest) as string;
          const r = parseNodes(['end']);
          if (r.stop === null) throw new Error('define without end');
          defines.set(name, r.nodes);
        } else if (['else', 'end', 'template', 'block', 'break', 'continue'].includes(word)) {
          throw new Error(`unsupported or misplaced "${word}"`);
        } else {
          nodes.push({ n: 'out', pipe: parsePipeline(lexExpr(body), false) });
        }
      } catch (e) {
        throw new Error(`${where(s)} "{{ ${body} }}": ${(e as Error).message}`);
      }
    }
    return { nodes, stop: null };
  };
  const r = parseNodes([]);
  return { nodes: r.nodes, defines };
}

// ---------------------------------------------------------------- evaluation

export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

function isFn(v: unknown): v is { fn: string } {
  return typeof v === 'object' && v !== null && typeof (v as { fn?: unknown }).fn === 'string' && Object.keys(v).length === 1;
}

function getPath(base: unknown, p: string[], what: string): unknown {
  let cur = base;
  for (const key of p) {
    if (cur === undefined || cur === null) throw new Error(`nil pointer evaluating ${what} (at "${key}")`);
    if (typeof cur !== 'object' || Array.isArray(cur)) throw new Error(`can't access field "${key}" of a non-map in ${what}`);
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function toStr(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error('cannot print a map or list; use toYaml');
}

function toInt(v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : (v as number);
  if (typeof n !== 'number' || Number.isNaN(n)) throw new Error(`not a number: ${JSON.stringify(v)}`);
  return Math.trunc(n);
}

export function toYaml(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  return YAML.stringify(v, { sortMapEntries: true, lineWidth: 0 }).replace(/\n$/, '');
}

function indentStr(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return pad + s.replace(/\n/g, '\n' + pad);
}

interface Scope {
  dot: unknown;
  vars: Map<string, unknown>;
}

export class ChartRenderer {
  private readonly defines = new Map<string, Node[]>();
  private readonly templates = new Map<string, Node[]>();

  constructor(readonly chartDir: string) {
    const tdir = path.join(chartDir, 'templates');
    for (const f of fs.readdirSync(tdir).sort()) {
      if (!/\.(ya?ml|tpl)$/.test(f)) continue;
      const parsed = parseTemplate(fs.readFileSync(path.join(tdir, f), 'utf8'), f);
      for (const [k, v] of parsed.defines) this.defines.set(k, v);
      if (!f.startsWith('_')) this.templates.set(f, parsed.nodes);
    }
  }

  chart(): { Name: string; Version: string; AppVersion: string } {
    const c = YAML.parse(fs.readFileSync(path.join(this.chartDir, 'Chart.yaml'), 'utf8')) as Record<string, string>;
    return { Name: c.name, Version: String(c.version), AppVersion: String(c.appVersion) };
  }

  defaultValues(): Record<string, unknown> {
    return YAML.parse(fs.readFileSync(path.join(this.chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  }

  /** Renders every template (file name -> text), values merged over values.yaml like Helm does. */
  renderFiles(overrides: Record<string, unknown> = {}, release = { name: 'judge', namespace: 'canary' }): Map<string, string> {
    const ctx: RenderContext = {
      Values: deepMerge(this.defaultValues(), overrides),
      Release: { Name: release.name, Namespace: release.namespace, Service: 'Helm' },
      Chart: this.chart(),
    };
    const out = new Map<string, string>();
    for (const [f, nodes] of this.templates) {
      out.set(f, this.exec(nodes, { dot: ctx, vars: new Map([['', ctx]]) }));
    }
    return out;
  }

  /** Renders and parses every document of every template; empty documents are dropped. */
  renderObjects(overrides: Record<string, unknown> = {}, release?: { name: string; namespace: string }): Record<string, unknown>[] {
    const objs: Record<string, unknown>[] = [];
    for (const [f, text] of this.renderFiles(overrides, release)) {
      for (const doc of YAML.parseAllDocuments(text)) {
        if (doc.errors.length > 0) throw new Error(`${f}: ${doc.errors.map((e) => e.message).join('; ')}\n${text}`);
        const v = doc.toJS() as unknown;
        if (v === null || v === undefined) continue;
        objs.push(v as Record<string, unknown>);
      }
    }
    return objs;
  }

  private exec(nodes: Node[], scope: Scope): string {
    let out = '';
    for (const node of nodes) {
      switch (node.n) {
        case 'text':
          out += node.text;
          break;
        case 'out': {
          const v = this.evalPipeline(node.pipe, scope);
          if (v === undefined || v === null) throw new Error(`printing a missing value: {{ ${describe(node.pipe)} }}`);
          out += toStr(v);
          break;
        }
        case 'if': {
          for (const b of node.branches) {
            if (b.cond === null || truthy(this.evalPipeline(b.cond, scope))) {
              out += this.exec(b.body, scope);
              break;
            }
          }
          break;
        }
        case 'with': {
          const v = this.evalPipeline(node.pipe, scope);
          if (truthy(v)) out += this.exec(node.body, { dot: v, vars: scope.vars });
          else out += this.exec(node.elseBody, scope);
          break;
        }
        case 'range': {
          const v = this.evalPipeline({ decl: [], cmds: node.pipe.cmds }, scope);
          const entries: [unknown, unknown][] = Array.isArray(v)
            ? v.map((x, idx) => [idx, x])
            : v && typeof v === 'object'
              ? Object.keys(v).sort().map((key) => [key, (v as Record<string, unknown>)[key]])
              : [];
          if (v !== undefined && v !== null && typeof v !== 'object') throw new Error('range over a non-collection');
          if (entries.length === 0) {
            out += this.exec(node.elseBody, scope);
            break;
          }
          for (const [key, val] of entries) {
            const vars = new Map(scope.vars);
            if (node.pipe.decl.length === 1) vars.set(node.pipe.decl[0], val);
            if (node.pipe.decl.length === 2) {
              vars.set(node.pipe.decl[0], key);
              vars.set(node.pipe.decl[1], val);
            }
            out += this.exec(node.body, { dot: val, vars });
          }
          break;
        }
      }
    }
    return out;
  }

  private evalPipeline(p: Pipeline, scope: Scope): unknown {
    let acc: unknown;
    let first = true;
    for (const cmd of p.cmds) {
      acc = this.evalCommand(cmd, scope, first ? [] : [acc]);
      first = false;
    }
    return acc;
  }

  private evalOperand(e: Expr, scope: Scope): unknown {
    switch (e.e) {
      case 'field':
        return getPath(scope.dot, e.path, '.' + e.path.join('.'));
      case 'var': {
        if (!scope.vars.has(e.name)) throw new Error(`undefined variable $${e.name}`);
        return getPath(scope.vars.get(e.name), e.path, `$${e.name}.${e.path.join('.')}`);
      }
      case 'lit':
        if (isFn(e.v)) return this.call(e.v.fn, [], scope);
        return e.v;
      case 'pipeline':
        return this.evalPipeline({ decl: [], cmds: e.cmds }, scope);
      case 'call':
        throw new Error('internal');
    }
  }

  private evalCommand(cmd: Expr[], scope: Scope, piped: unknown[]): unknown {
    const head = cmd[0];
    if (head.e === 'lit' && isFn(head.v)) {
      const args = cmd.slice(1).map((a) => this.evalOperand(a, scope));
      return this.call(head.v.fn, [...args, ...piped], scope);
    }
    if (cmd.length !== 1 || piped.length > 0) throw new Error('a value cannot take arguments');
    return this.evalOperand(head, scope);
  }

  private call(fn: string, a: unknown[], scope: Scope): unknown {
    const arity = (n: number): void => {
      if (a.length !== n) throw new Error(`${fn} takes ${n} arguments, got ${a.length}`);
    };
    switch (fn) {
      case 'quote':
        return a.map((x) => (x === undefined || x === null ? '' : JSON.stringify(toStr(x)))).join(' ');
      case 'default':
        arity(2);
        return truthy(a[1]) ? a[1] : a[0];
      case 'toYaml':
        arity(1);
        return toYaml(a[0]);
      case 'indent':
        arity(2);
        return indentStr(toInt(a[0]), toStr(a[1]));
      case 'nindent':
        arity(2);
        return '\n' + indentStr(toInt(a[0]), toStr(a[1]));
      case 'include': {
        arity(2);
        const name = a[0] as string;
        const body = this.defines.get(name);
        if (!body) throw new Error(`no template "${name}"`);
        return this.exec(body, { dot: a[1], vars: new Map([['', a[1]]]) });
      }
      case 'trunc': {
        arity(2);
        const n = toInt(a[0]);
        const s = toStr(a[1]);
        return n >= 0 ? s.slice(0, n) : s.slice(n);
      }
      case 'trimSuffix': {
        arity(2);
        const suf = toStr(a[0]);
        const s = toStr(a[1]);
        return suf && s.endsWith(suf) ? s.slice(0, -suf.length) : s;
      }
      case 'not':
        arity(1);
        return !truthy(a[0]);
      case 'and':
        return a.find((x) => !truthy(x)) ?? a[a.length - 1];
      case 'or':
        return a.find((x) => truthy(x)) ?? a[a.length - 1];
      case 'eq':
        arity(2);
        return a[0] === a[1];
      case 'ne':
        arity(2);
        return a[0] !== a[1];
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        arity(2);
        // Go's template comparisons fail on mixed kinds; Helm values are float64 and the
        // arithmetic helpers return int64, so the chart wraps both sides in `int`.
        const [x, y] = a as [number, number];
        if (typeof x !== 'number' || typeof y !== 'number') throw new Error(`${fn} needs numbers`);
        return fn === 'lt' ? x < y : fn === 'le' ? x <= y : fn === 'gt' ? x > y : x >= y;
      }
      case 'int':
        arity(1);
        return toInt(a[0]);
      case 'add':
        return a.reduce<number>((s, x) => s + toInt(x), 0);
      case 'sub':
        arity(2);
        return toInt(a[0]) - toInt(a[1]);
      case 'mul':
        return a.reduce<number>((s, x) => s * toInt(x), 1);
      case 'div':
        arity(2);
        return Math.trunc(toInt(a[0]) / toInt(a[1]));
      case 'printf': {
        let k = 1;
        return toStr(a[0]).replace(/%[sdv%]/g, (m) => (m === '%%' ? '%' : toStr(a[k++])));
      }
      case 'sha256sum':
        arity(1);
        return createHash('sha256').update(toStr(a[0])).digest('hex');
      case 'fail':
        arity(1);
        throw new HelmFailError(toStr(a[0]));
      default:
        void scope;
        throw new Error(`unsupported function "${fn}"`);
    }
  }
}

export class HelmFailError extends Error {
  constructor(message: string) {
    super(`execution error: ${message}`);
    this.name = 'HelmFailError';
  }
}

function describe(p: Pipeline): string {
  return JSON.stringify(p.cmds);
}

/** Helm's values merge: maps merge recursively, everything else (lists included) replaces. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)) {
      out[k] = deepMerge(b as Record<string, unknown>, v as Record<string, unknown>);
    } else {
      out[k] = v;
    }
  }
  return out;
}
