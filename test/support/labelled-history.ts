/**
 * A feedback job's recent past as Prometheus would hold it (OpenMetrics for promtool, no jest
 * APIs here): predictions and their labelled outcomes counted by prediction minute
 * (`predicted_at`, src/sources/prometheus/labelled-templates.ts), scraped every 15 s. Labels
 * arrive late and biased (bench/simulate/delayed-labels.ts: easy predictions are labelled
 * first): a bucket's labelled counters are born when its first label arrives and keep growing
 * while the late ones come in. Counts are drawn (seeded), not made exact.
 */
import { LabelDraws, type LabelModel } from '../../bench/simulate/delayed-labels';
import { normalSampler, seededRandom } from './random';

const SCRAPE_SECONDS = 15;
/** Labels later than this many minutes never arrive within the history. */
const HORIZON_MINUTES = 90;

export interface FeedbackPlay {
  /** The series' own labels besides predicted_at (version, namespace, the job's pod). */
  readonly labels: Readonly<Record<string, string>>;
  /** Prediction minutes relative to the history's end (0): from (inclusive) to (exclusive). */
  readonly from: number;
  readonly to: number;
  readonly predictionsPerMinute: number;
  readonly model: LabelModel;
  /** No labelled series at all (a feedback job that never reports): predictions only. */
  readonly noLabels?: boolean;
  /** Also export the absolute error of each labelled prediction as a histogram (right: 0.05, wrong: 0.8). */
  readonly errorHistogram?: boolean;
  /** Changes a sample before it is written (a reset, a miscounted bucket). */
  readonly tamper?: (series: 'predictions' | 'true' | 'false', minute: number, t: number, value: number) => number;
}

export const ERROR_BOUNDS = ['0.1', '0.5', '1', '+Inf'] as const;

/** OpenMetrics lines (without `# EOF`) of the plays, ending at `end` (unix seconds, a whole minute). */
export function feedbackHistory(end: number, plays: readonly FeedbackPlay[], seed = 11): string {
  const uniform = seededRandom(seed);
  const draws = new LabelDraws(SCRAPE_SECONDS / 60, (HORIZON_MINUTES * 60) / SCRAPE_SECONDS, uniform, normalSampler(uniform));
  // Each series' samples together and in time order, as cluster-history.ts writes them.
  const families = { predictions: new Map<string, string[]>(), outcomes: new Map<string, string[]>(), errors: new Map<string, string[]>() };
  const write = (family: Map<string, string[]>, series: string, sample: string) => {
    const list = family.get(series);
    if (list) list.push(sample);
    else family.set(series, [sample]);
  };
  for (const play of plays) {
    for (let minute = play.from; minute < play.to; minute++) {
      const start = end + minute * 60;
      const drawn = draws.minute(play.predictionsPerMinute, play.model);
      const labels = (extra: Record<string, string>) => Object.entries({ ...play.labels, predicted_at: String(start), ...extra }).map(([k, v]) => `${k}="${v}"`).join(',');
      const by = { correct: 0, wrong: 0 };
      let slot = 0;
      for (let t = start + SCRAPE_SECONDS; t <= end; t += SCRAPE_SECONDS) {
        const made = Math.min(drawn.predictions, Math.round((drawn.predictions * (t - start)) / 60));
        const value = (series: 'predictions' | 'true' | 'false', x: number) => (play.tamper ? play.tamper(series, minute, t, x) : x);
        write(families.predictions, `model_predictions_total{${labels({})}}`, `${value('predictions', made)} ${t}`);
        // Labels that arrived by t: slots of 15 s from the minute's start.
        for (; slot < drawn.correct.length - 1 && (slot + 1) * SCRAPE_SECONDS <= t - start; slot++) (by.correct += drawn.correct[slot]), (by.wrong += drawn.wrong[slot]);
        if (play.noLabels || by.correct + by.wrong === 0) continue;
        write(families.outcomes, `model_labelled_predictions_total{${labels({ correct: 'true' })}}`, `${value('true', by.correct)} ${t}`);
        write(families.outcomes, `model_labelled_predictions_total{${labels({ correct: 'false' })}}`, `${value('false', by.wrong)} ${t}`);
        if (play.errorHistogram) {
          const cumulative = [by.correct, by.correct, by.correct + by.wrong, by.correct + by.wrong];
          ERROR_BOUNDS.forEach((le, i) => write(families.errors, `model_labelled_abs_error_bucket{${labels({ le })}}`, `${cumulative[i]} ${t}`));
        }
      }
    }
  }
  const lines = (family: Map<string, string[]>) => [...family].flatMap(([series, samples]) => samples.map((sample) => `${series} ${sample}`));
  return [
    '# TYPE model_predictions counter',
    ...lines(families.predictions),
    '# TYPE model_labelled_predictions counter',
    ...lines(families.outcomes),
    ...(families.errors.size ? ['# TYPE model_labelled_abs_error histogram', ...lines(families.errors)] : []),
  ].join('\n');
}
