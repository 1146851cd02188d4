import fixtures from '../fixtures/sequential.json';
import { logBernoulliMixtureEValue, mixtureConcentration } from '../../src/stats/bernoulli-mixture-e-value';

describe('logBernoulliMixtureEValue (scipy betaln reference)', () => {
  it.each(fixtures.eValue.map((c) => [c.k, c.n, c.theta0, c]))('k=%d n=%d theta0=%d', (_k, _n, _t, c) => {
    expect(logBernoulliMixtureEValue(c.k, c.n, c.theta0)).toBeCloseTo(c.logE, 8);
  });

  it('is 1 before any data (ln E = 0) and refuses impossible input with a sentence', () => {
    expect(logBernoulliMixtureEValue(0, 0, 0.2)).toBeCloseTo(0, 12);
    expect(() => logBernoulliMixtureEValue(5, 4, 0.2)).toThrow('Successes must lie between 0 and the number of trials');
    expect(() => logBernoulliMixtureEValue(1, 4, 1)).toThrow('theta0 must lie strictly between 0 and 1');
  });

  it('centres half its prior with a concentration that grows as the rate gets rarer', () => {
    expect(mixtureConcentration(0.5)).toBeCloseTo(20, 12);
    expect(mixtureConcentration(0.005)).toBeCloseTo(5 / (0.005 * 0.995), 9);
  });
});
