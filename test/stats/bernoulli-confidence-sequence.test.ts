import fixtures from '../fixtures/sequential.json';
import { bernoulliConfidenceSequence } from '../../src/stats/bernoulli-confidence-sequence';
import { wilsonBounds } from '../../src/stats/wilson-bounds';
import { seededRandom } from '../support/random';

describe('bernoulliConfidenceSequence', () => {
  it.each(fixtures.bernoulli.map((c) => [c.k, c.n, c.alpha, c]))('k=%d n=%d alpha=%d matches the scipy bisection', (_k, _n, _a, c) => {
    const bounds = bernoulliConfidenceSequence(c.k, c.n, c.alpha, c.alpha);
    expect(bounds.lower).toBeCloseTo(c.lower, 9);
    expect(bounds.upper).toBeCloseTo(c.upper, 9);
  });

  it('says nothing without trials', () => {
    expect(bernoulliConfidenceSequence(0, 0, 0.05, 0.05)).toEqual({ lower: 0, upper: 1 });
  });

  /**
   * Coverage by simulation: 400 sequences of a 2 % rate, looked at 20 times between 100 and
   * 20,000 trials. The anytime-valid sequence must miss the true rate at ANY look in at most
   * alpha of the sequences; the fixed-sample Wilson interval, looked at the same way, misses
   * far more often (which shows the simulation can tell the two apart).
   */
  it('covers the true rate at every look at once, where a repeated fixed-sample interval does not', () => {
    const alpha = 0.1;
    const rate = 0.02;
    const looks = Array.from({ length: 20 }, (_, i) => Math.round(100 * Math.pow(200, i / 19)));
    const random = seededRandom(2026);
    let sequentialMisses = 0;
    let fixedMisses = 0;
    for (let s = 0; s < 400; s++) {
      let successes = 0;
      let trials = 0;
      let sequentialMissed = false;
      let fixedMissed = false;
      for (const look of looks) {
        for (; trials < look; trials++) if (random() < rate) successes++;
        const cs = bernoulliConfidenceSequence(successes, trials, alpha / 2, alpha / 2);
        if (rate < cs.lower || rate > cs.upper) sequentialMissed = true;
        const fixed = wilsonBounds(successes, trials, alpha / 2, alpha / 2);
        if (rate < fixed.lower || rate > fixed.upper) fixedMissed = true;
      }
      if (sequentialMissed) sequentialMisses++;
      if (fixedMissed) fixedMisses++;
    }
    expect(sequentialMisses / 400).toBeLessThanOrEqual(alpha);
    expect(fixedMisses / 400).toBeGreaterThan(2 * alpha);
  });
});
