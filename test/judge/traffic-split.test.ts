import { checkTrafficSplit } from '../../src/judge/traffic-split';
import { seededRandom } from '../support/random';

describe('checkTrafficSplit (sample ratio mismatch, anytime-valid)', () => {
  it('rarely flags a correct split, however often it looks', () => {
    const alpha = 0.05;
    const random = seededRandom(17);
    let flagged = 0;
    const runs = 200;
    for (let r = 0; r < runs; r++) {
      let canary = 0;
      let baseline = 0;
      let raised = false;
      for (let look = 0; look < 30; look++) {
        for (let i = 0; i < 500; i++) (random() < 0.1 ? canary++ : baseline++);
        if (checkTrafficSplit({ expectedCanaryShare: 0.1, canary, baseline }, alpha).verdict === 'fail') raised = true;
      }
      if (raised) flagged++;
    }
    expect(flagged / runs).toBeLessThanOrEqual(alpha);
  });

  it('flags a canary that gets 8 % of the traffic instead of 10 %, naming both shares', () => {
    const check = checkTrafficSplit({ expectedCanaryShare: 0.1, canary: 4000, baseline: 46000 }, 0.05);
    expect(check.verdict).toBe('fail');
    expect(check.eValue).toBeGreaterThan(20);
    expect(check.reason).toMatch(/received 8% of 50000 requests where the routing promises 10%/);
    expect(check.reason).toMatch(/less than its weight is what a canary that refuses or fails requests/);
  });

  it('names a header route as the likely cause when the canary gets more than its weight (testers at the 1 % step)', () => {
    // 10,000 requests a minute at 1 %, plus 50 a minute of testers forced to the canary.
    const check = checkTrafficSplit({ expectedCanaryShare: 0.01, canary: 150, baseline: 9900 }, 0.05);
    expect(check.verdict).toBe('fail');
    expect(check.reason).toMatch(/more than its weight is what a header route forcing requests to the canary .* does: .*"exclude"/);
  });

  it('is inconclusive without any requests', () => {
    expect(checkTrafficSplit({ expectedCanaryShare: 0.1, canary: 0, baseline: 0 }, 0.05).verdict).toBe('inconclusive');
  });
});
