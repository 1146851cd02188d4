/**
 * Per scenario and method: what each rollout decided and when, and the summary figures the
 * benchmark prints (rolled back %, pass by the 50 % step %, median looks to a decision).
 */
import type { Verdict } from '../../src/judge/types';
import { LAST_LOOK_OF_50_PERCENT_STEP } from './rollout';
import { METRIC_NAMES, type MetricName } from './methods';
import { mergeAgreement, type AgreementCounts } from './agreement';

export interface RolloutOutcome {
  /** 1-based look of the first pass / first fail; 0 when there was none. */
  firstPass: number;
  firstFail: number;
  /** 1-based look of the first pass in the 50 % step (the gate's looks); 0 when there was none. */
  gatePass: number;
  /** canary-judge only: the verdict of one fixed-sample test on the cumulative data at the last look (look 21). */
  fixedSample?: Verdict;
}

/** Time-to-decision projections of one metric, scored against the look where it was decided. */
export interface ProjectionScores {
  /** projected look - look decided (positive: projected too late), for projections whose metric was decided later. */
  readonly signed: number[];
  /** The same over the looks it actually took (look decided - look projected). */
  readonly relative: number[];
  /** The same two with moreCanary turned into looks by the rollout's known traffic schedule (the steps' growth included). */
  readonly scheduledSigned: number[];
  readonly scheduledRelative: number[];
  /** Projections whose metric was not decided by the rollout's last look. */
  censored: number;
}

/** A tally as plain data, to cross a process boundary. */
export type TallyData = Pick<Tally, 'outcomes' | 'metricVerdicts' | 'notPassingWhenUndecided' | 'failingAtRollback' | 'judgeMs' | 'looksJudged' | 'projections' | 'agreement'>;

export class Tally {
  readonly outcomes: RolloutOutcome[] = [];
  /** canary-judge only: each metric's verdict at the deciding look (first fail, else the last look). */
  readonly metricVerdicts: Record<MetricName, Record<Verdict, number>> = Object.fromEntries(
    METRIC_NAMES.map((m) => [m, { pass: 0, fail: 0, inconclusive: 0 }]),
  ) as Record<MetricName, Record<Verdict, number>>;
  /** canary-judge only: rollouts without a pass by the 50 % step, by metric not passing at their last look. */
  readonly notPassingWhenUndecided: Record<MetricName, number> = Object.fromEntries(METRIC_NAMES.map((m) => [m, 0])) as Record<MetricName, number>;
  /** canary-judge only: at the first fail, which metrics failed. */
  readonly failingAtRollback: Record<MetricName, number> = Object.fromEntries(METRIC_NAMES.map((m) => [m, 0])) as Record<MetricName, number>;
  /** canary-judge only: the projection error per metric. */
  readonly projections: Record<MetricName, ProjectionScores> = Object.fromEntries(
    METRIC_NAMES.map((m) => [m, { signed: [], relative: [], scheduledSigned: [], scheduledRelative: [], censored: 0 }]),
  ) as unknown as Record<MetricName, ProjectionScores>;
  /** canary-judge only: per kind, metrics whose reported numbers contradict their verdict, over every look (./agreement.ts). */
  readonly agreement: AgreementCounts = {};
  judgeMs = 0;
  looksJudged = 0;

  /** Adds another share of the same scenario's rollouts (from another worker process). */
  merge(other: TallyData): void {
    this.outcomes.push(...other.outcomes);
    for (const m of METRIC_NAMES) {
      for (const v of ['pass', 'fail', 'inconclusive'] as const) this.metricVerdicts[m][v] += other.metricVerdicts[m][v];
      this.notPassingWhenUndecided[m] += other.notPassingWhenUndecided[m];
      this.failingAtRollback[m] += other.failingAtRollback[m];
      this.projections[m].signed.push(...other.projections[m].signed);
      this.projections[m].relative.push(...other.projections[m].relative);
      this.projections[m].scheduledSigned.push(...other.projections[m].scheduledSigned);
      this.projections[m].scheduledRelative.push(...other.projections[m].scheduledRelative);
      this.projections[m].censored += other.projections[m].censored;
    }
    mergeAgreement(this.agreement, other.agreement);
    this.judgeMs += other.judgeMs;
    this.looksJudged += other.looksJudged;
  }

  get rollouts(): number {
    return this.outcomes.length;
  }

  rolledBack(): number {
    return this.outcomes.filter((o) => o.firstFail > 0).length / this.rollouts;
  }

  /** A pass at or before the last look of the 50 % step, with no fail before it. */
  passedBy50(): number {
    return (
      this.outcomes.filter((o) => o.firstPass > 0 && o.firstPass <= LAST_LOOK_OF_50_PERCENT_STEP && (o.firstFail === 0 || o.firstFail > o.firstPass)).length /
      this.rollouts
    );
  }

  /** Median look of the first decision (pass or fail) over the rollouts that reached one. */
  medianLooksToDecision(): number | null {
    return median(this.outcomes.map((o) => firstOf(o.firstPass, o.firstFail)).filter((l) => l > 0));
  }

  medianLookOfRollback(): number | null {
    return median(this.outcomes.map((o) => o.firstFail).filter((l) => l > 0));
  }

  /**
   * Share of rollouts with the owed decision by the last look: never rolled back and passed
   * (`pass`), or rolled back (`fail`); with `fixedSample`, that of the one fixed-sample test at
   * the last look instead. null when the outcomes carry no fixed-sample verdict.
   */
  correct(owed: 'pass' | 'fail', fixedSample = false): number | null {
    if (fixedSample) {
      if (this.outcomes.some((o) => o.fixedSample === undefined)) return null;
      return this.outcomes.filter((o) => o.fixedSample === owed).length / this.rollouts;
    }
    return this.outcomes.filter((o) => (owed === 'fail' ? o.firstFail > 0 : o.firstPass > 0 && o.firstFail === 0)).length / this.rollouts;
  }

  /** The gate (the 50 % step's looks) passed before any rollback: Argo's gate would have promoted. */
  gatePassed(): number {
    return this.outcomes.filter((o) => o.gatePass > 0 && (o.firstFail === 0 || o.firstFail > o.gatePass)).length / this.rollouts;
  }

  /** Rolled back at or before this look. */
  rolledBackBy(look: number): number {
    return this.outcomes.filter((o) => o.firstFail > 0 && o.firstFail <= look).length / this.rollouts;
  }

  decided(): number {
    return this.outcomes.filter((o) => firstOf(o.firstPass, o.firstFail) > 0).length / this.rollouts;
  }
}

function firstOf(a: number, b: number): number {
  if (a === 0) return b;
  if (b === 0) return a;
  return Math.min(a, b);
}

export function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
