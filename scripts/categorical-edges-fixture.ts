/**
 * Writes test/fixtures/categorical-timeline-edges.json: seeded categorical timelines (steps of the
 * canary's share, drifting mixes, harmful shifts either way, gaps in traffic, a class that appears
 * late, low traffic) and what a judge made of them: verdict, deciding interval, the reported
 * bounds and every look of the series. The committed file was written by main's judge before the
 * root searches of the category mix were pruned and prepared once per category (issue 22):
 *
 *   npx tsc -p tsconfig.build.json --outDir /tmp/main-dist   # on main's commit
 *   npx tsx scripts/categorical-edges-fixture.ts --judge /tmp/main-dist
 *
 * test/judge/categorical-timeline-edges.test.ts asserts that today's judge gives the same numbers.
 * Without --judge the sources judge (for a deliberate change of the e-process, rewrite it then).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AnalysisInput, AnalysisResult, CategoricalInterval, MetricInput } from '../src/judge/types';
import { seededRandom } from '../test/support/random';
import { multinomial, normalFrom } from '../src/planner/draws';

interface Scenario {
  readonly name: string;
  readonly intervals: number;
  readonly perMinute: number;
  readonly classes: number;
  readonly margin: number;
  readonly alpha?: number;
  /** The canary's share of traffic at interval i (0: no canary traffic). */
  readonly share: (i: number, n: number) => number;
  /** Each class's weight on a side at interval i (normalised). */
  readonly mix: (side: 'baseline' | 'canary', i: number, n: number, classes: number) => number[];
}

const steps = (i: number, n: number) => [0.01, 0.1, 0.5][Math.min(2, Math.floor((3 * i) / n))];
const even = (classes: number) => Array.from({ length: classes }, (_, j) => j + 1);

export const SCENARIOS: readonly Scenario[] = [
  { name: 'no change, 8 classes, steps', intervals: 120, perMinute: 1000, classes: 8, margin: 0.05, share: steps, mix: (_s, _i, _n, k) => even(k) },
  {
    name: 'harmful rise of one class from a third in',
    intervals: 120,
    perMinute: 1000,
    classes: 6,
    margin: 0.05,
    share: steps,
    mix: (side, i, n, k) => even(k).map((w, j) => (side === 'canary' && j === 0 && i >= n / 3 ? w + 4 : w)),
  },
  {
    name: 'harmful fall of the largest class',
    intervals: 90,
    perMinute: 1000,
    classes: 4,
    margin: 0.05,
    share: steps,
    mix: (side, _i, _n, k) => even(k).map((w, j) => (side === 'canary' && j === k - 1 ? w * 0.5 : w)),
  },
  {
    name: 'both sides drift, no canary effect',
    intervals: 200,
    perMinute: 1200,
    classes: 5,
    margin: 0.03,
    share: steps,
    mix: (_s, i, n, k) => even(k).map((w, j) => (j === 0 ? w * (1 + (3 * i) / n) : w)),
  },
  { name: 'low traffic', intervals: 60, perMinute: 80, classes: 3, margin: 0.05, share: steps, mix: (_s, _i, _n, k) => even(k) },
  {
    name: 'gaps in canary traffic and a class appearing late',
    intervals: 100,
    perMinute: 900,
    classes: 5,
    margin: 0.04,
    share: (i, n) => (i % 7 === 3 ? 0 : steps(i, n)),
    mix: (_s, i, _n, k) => even(k).map((w, j) => (j === k - 1 && i < 30 ? 0 : w)),
  },
  {
    name: 'a shift near the margin, wide split',
    intervals: 240,
    perMinute: 1000,
    classes: 3,
    margin: 0.02,
    share: () => 0.3,
    mix: (side, _i, _n, k) => even(k).map((w, j) => (side === 'canary' && j === 1 ? w * 1.09 : w)),
  },
  {
    name: 'splits up and down, small alpha',
    intervals: 150,
    perMinute: 1500,
    classes: 7,
    margin: 0.05,
    alpha: 0.01,
    share: (i) => [0.05, 0.2, 0.4, 0.15][Math.floor(i / 30) % 4],
    mix: (side, _i, _n, k) => even(k).map((w, j) => (side === 'canary' && j === 2 ? w * 1.4 : w)),
  },
];

/** A scenario's analysis input, deterministic per seed. */
export function scenarioInput(s: Scenario, seed: number): AnalysisInput {
  const uniform = seededRandom(seed);
  const normal = normalFrom(uniform);
  const names = Array.from({ length: s.classes }, (_, j) => `class-${j}`);
  const sides = { baseline: [] as CategoricalInterval[], canary: [] as CategoricalInterval[] };
  const draw = new Float64Array(s.classes);
  for (let i = 0; i < s.intervals; i++) {
    const share = s.share(i, s.intervals);
    for (const side of ['baseline', 'canary'] as const) {
      const total = Math.round(s.perMinute * (side === 'canary' ? share : 1 - share));
      const weights = s.mix(side, i, s.intervals, s.classes);
      const sum = weights.reduce((a, b) => a + b, 0);
      multinomial(total, Float64Array.from(weights, (w) => w / sum), draw, uniform, normal);
      // A class with no weight yet is absent from the interval, as Prometheus leaves it out.
      sides[side].push({ counts: names.flatMap((c, j) => (weights[j] > 0 ? [[c, draw[j]] as [string, number]] : [])) });
    }
  }
  const cumulative = (intervals: CategoricalInterval[]) => {
    const totals = new Map<string, number>();
    for (const interval of intervals) for (const [c, n] of interval.counts) totals.set(c, (totals.get(c) ?? 0) + n);
    return { counts: [...totals] as [string, number][], intervals };
  };
  const metric: MetricInput = { name: 'classes', kind: 'categorical', margin: { absolute: s.margin }, baseline: cumulative(sides.baseline), canary: cumulative(sides.canary) };
  return { metrics: [metric], ...(s.alpha !== undefined ? { alpha: s.alpha } : {}) };
}

/** The numbers of a categorical metric's result that the root searches produce (wording left out: other changes may reword). */
export function edgeNumbers(result: AnalysisResult) {
  const m = result.metrics[0];
  return {
    verdict: m.verdict,
    decidedAt: m.decidedAt ?? null,
    effect: m.effect ?? null,
    effects: m.effects ?? null,
    timeline: m.timeline ?? null,
  };
}

function main(): void {
  const at = process.argv.indexOf('--judge');
  const judge = at > 0 ? path.resolve(process.argv[at + 1], 'judge/analyze.js') : '../src/judge/analyze';
  const { analyze } = require(judge) as { analyze: (input: AnalysisInput) => AnalysisResult };
  const cases = SCENARIOS.flatMap((s, k) =>
    [1, 2].map((rep) => {
      const seed = 7919 * (k + 1) + rep;
      return { scenario: s.name, seed, expected: edgeNumbers(analyze(scenarioInput(s, seed))) };
    }),
  );
  const out = path.join(__dirname, '../test/fixtures/categorical-timeline-edges.json');
  const source = at > 0 ? `the build in ${process.argv[at + 1]}` : 'the sources';
  fs.writeFileSync(out, `${JSON.stringify({ generatedBy: 'scripts/categorical-edges-fixture.ts', judge: source, cases }, null, 1)}\n`);
  console.log(`${cases.length} cases written to ${out}`);
}

if (require.main === module) main();
