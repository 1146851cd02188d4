/**
 * Verdicts as metrics (issue 14): per analysis key (namespace, rollout, metric) the latest
 * verdict, effect estimate, bounds and margin as gauges, so Grafana and alerts see what the
 * judge saw. The analysis key is the request's `rollout: {namespace, name}`: Argo Rollouts
 * passes the Rollout's own metadata.namespace and metadata.name as args, Flagger's payload
 * carries the canary's name and namespace. Analyses without a key export no gauges.
 *
 * Cardinality is bounded twice: a key's series expire `ttlSeconds` after its last analysis
 * (pruned on every analysis and every scrape), and at most `maxKeys` metric keys are kept; a
 * new key beyond that is not exported and counted in canary_judge_verdict_series_dropped_total;
 * so is one beyond `maxKeysPerNamespace` in its namespace, so that callers naming rollouts of
 * one namespace cannot crowd out the others. Only analyses of data the service fetched itself
 * are recorded unless `fromInline` (a caller's inline numbers are whatever it sent).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AnalysisResult, Verdict } from '../judge/types';

export interface AnalysisKey {
  readonly namespace: string;
  readonly rollout: string;
}

export interface VerdictMetricsOptions {
  readonly ttlSeconds: number;
  readonly maxKeys: number;
  /** At most this many keys per namespace, so one caller's namespace cannot fill the cap (default maxKeys). */
  readonly maxKeysPerNamespace?: number;
  /**
   * Record analyses of inline data too (default false): inline numbers are whatever the caller
   * sent, so by default only analyses whose data the service fetched itself set a rollout's gauges.
   */
  readonly fromInline?: boolean;
  /** Unix seconds. */
  readonly now?: () => number;
}

/** 1 pass, 0 inconclusive, -1 fail: one series per key, and "below zero" reads as bad. */
export const VERDICT_VALUE: Record<Verdict, number> = { pass: 1, inconclusive: 0, fail: -1 };

type MetricLabels = { namespace: string; rollout: string; metric: string };
type RolloutLabels = { namespace: string; rollout: string };

export class VerdictMetrics {
  readonly #seen = new Map<string, { labels: MetricLabels | RolloutLabels; at: number }>();
  readonly #perNamespace = new Map<string, number>();
  readonly #options: Required<VerdictMetricsOptions>;
  readonly #keys: Gauge;
  readonly #dropped: Counter;
  readonly #metricGauges: Gauge<keyof MetricLabels>[];
  readonly #verdict: Gauge<keyof MetricLabels>;
  readonly #estimate: Gauge<keyof MetricLabels>;
  readonly #lower: Gauge<keyof MetricLabels>;
  readonly #upper: Gauge<keyof MetricLabels>;
  readonly #margin: Gauge<keyof MetricLabels>;
  readonly #rolloutGauges: Gauge<keyof RolloutLabels>[];
  readonly #rolloutVerdict: Gauge<keyof RolloutLabels>;
  readonly #rolloutScore: Gauge<keyof RolloutLabels>;
  readonly #rolloutLast: Gauge<keyof RolloutLabels>;

  constructor(registry: Registry, options: VerdictMetricsOptions) {
    this.#options = { now: () => Date.now() / 1000, maxKeysPerNamespace: options.maxKeys, fromInline: false, ...options };
    const registers = [registry];
    // Registered first, so the scrape prunes expired keys before the gauges below are read.
    this.#keys = new Gauge({
      name: 'canary_judge_verdict_keys',
      help: 'Analysis keys (namespace, rollout, metric) currently exported by the verdict gauges.',
      registers,
      collect: () => this.#keys.set(this.prune()),
    });
    this.#dropped = new Counter({ name: 'canary_judge_verdict_series_dropped_total', help: 'New analysis keys not exported because the verdict gauges were at their cap (VERDICT_SERIES_MAX).', registers });
    const perMetric = (name: string, help: string) => new Gauge({ name, help, labelNames: ['namespace', 'rollout', 'metric'] as const, registers });
    this.#verdict = perMetric('canary_judge_metric_verdict', 'Latest verdict of a metric: 1 pass, 0 inconclusive, -1 fail.');
    this.#estimate = perMetric('canary_judge_metric_effect_estimate', "Latest estimated effect of the canary on a metric, in the effect's unit (relative: 0.1 = +10 %).");
    this.#lower = perMetric('canary_judge_metric_effect_lower', 'Lower confidence bound of the latest effect (-Inf: none yet).');
    this.#upper = perMetric('canary_judge_metric_effect_upper', 'Upper confidence bound of the latest effect (+Inf: none yet).');
    this.#margin = perMetric('canary_judge_metric_effect_margin', 'The tolerated effect (margin) the latest effect was judged against, in the same unit.');
    this.#metricGauges = [this.#verdict, this.#estimate, this.#lower, this.#upper, this.#margin];
    const perRollout = (name: string, help: string) => new Gauge({ name, help, labelNames: ['namespace', 'rollout'] as const, registers });
    this.#rolloutVerdict = perRollout('canary_judge_rollout_verdict', 'Latest overall verdict of a rollout or canary: 1 pass, 0 inconclusive, -1 fail.');
    this.#rolloutScore = perRollout('canary_judge_rollout_score', 'Latest overall score (0-100) of a rollout or canary.');
    this.#rolloutLast = perRollout('canary_judge_rollout_last_analysis_timestamp_seconds', 'When a rollout or canary was last analysed (unix seconds).');
    this.#rolloutGauges = [this.#rolloutVerdict, this.#rolloutScore, this.#rolloutLast];
  }

  /** `inline`: the analysis judged data the caller sent (recorded only with `fromInline`). */
  record(key: AnalysisKey, result: AnalysisResult, inline = false): void {
    if (inline && !this.#options.fromInline) return;
    const now = this.#options.now();
    this.prune();
    const rollout: RolloutLabels = { namespace: key.namespace, rollout: key.rollout };
    if (!this.#admit(JSON.stringify([key.namespace, key.rollout]), rollout, now)) return;
    this.#rolloutVerdict.set(rollout, VERDICT_VALUE[result.verdict]);
    this.#rolloutScore.set(rollout, result.score);
    this.#rolloutLast.set(rollout, now);
    for (const m of result.metrics) {
      const labels: MetricLabels = { ...rollout, metric: m.name };
      if (!this.#admit(JSON.stringify([key.namespace, key.rollout, m.name]), labels, now)) continue;
      this.#verdict.set(labels, VERDICT_VALUE[m.verdict]);
      if (m.effect) {
        // JSON answers carry an unbounded side as null; the judge's own results as infinity.
        this.#estimate.set(labels, m.effect.estimate);
        this.#lower.set(labels, m.effect.lower ?? -Infinity);
        this.#upper.set(labels, m.effect.upper ?? Infinity);
        this.#margin.set(labels, m.effect.tolerance);
      } else {
        for (const g of [this.#estimate, this.#lower, this.#upper, this.#margin]) g.remove(labels);
      }
    }
  }

  /** Removes the series of keys older than the TTL; returns how many keys remain. */
  prune(): number {
    const oldest = this.#options.now() - this.#options.ttlSeconds;
    for (const [id, entry] of this.#seen) {
      if (entry.at >= oldest) continue;
      this.#seen.delete(id);
      this.#count(entry.labels.namespace, -1);
      const gauges: Gauge<string>[] = 'metric' in entry.labels ? this.#metricGauges : this.#rolloutGauges;
      for (const g of gauges) g.remove(entry.labels);
    }
    return this.#seen.size;
  }

  #admit(id: string, labels: MetricLabels | RolloutLabels, now: number): boolean {
    const entry = this.#seen.get(id);
    if (entry) {
      entry.at = now;
      return true;
    }
    if (this.#seen.size >= this.#options.maxKeys || (this.#perNamespace.get(labels.namespace) ?? 0) >= this.#options.maxKeysPerNamespace) {
      this.#dropped.inc();
      return false;
    }
    this.#seen.set(id, { labels, at: now });
    this.#count(labels.namespace, 1);
    return true;
  }

  #count(namespace: string, change: number): void {
    const count = (this.#perNamespace.get(namespace) ?? 0) + change;
    if (count > 0) this.#perNamespace.set(namespace, count);
    else this.#perNamespace.delete(namespace);
  }
}
