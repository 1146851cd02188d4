import { checkAgainstMargin, checkAgainstMargins, type EffectCandidate } from '../../src/judge/margin-check';

/** A candidate whose bounds are estimate -/+ width, recording the alphas it was asked for. */
function candidate(estimate: number, width: number, tolerance = 0.1) {
  const asked: [number, number][] = [];
  const c: EffectCandidate = {
    measure: 'm',
    unit: 'relative',
    estimate,
    tolerance,
    bounds: (aL, aU) => {
      asked.push([aL, aU]);
      return { lower: estimate - width, upper: estimate + width };
    },
  };
  return { c, asked };
}
const rates = { fail: 0.01, pass: 0.05 };

describe('checkAgainstMargin', () => {
  it.each([
    ['increase', 0.3, 0.1, 'fail'],
    ['increase', 0.02, 0.05, 'pass'],
    ['increase', 0.08, 0.05, 'inconclusive'],
    ['decrease', -0.3, 0.1, 'fail'],
    ['decrease', 0.5, 0.1, 'pass'],
    ['either', 0.3, 0.1, 'fail'],
    ['either', -0.3, 0.1, 'fail'],
    ['either', 0, 0.05, 'pass'],
    ['either', -0.08, 0.05, 'inconclusive'],
  ] as const)('%s: estimate %d +- %d is %s', (direction, estimate, width, verdict) => {
    expect(checkAgainstMargin(candidate(estimate, width).c, direction, rates).verdict).toBe(verdict);
  });

  it('asks for the fail rate on the harmful side and the pass rate on the other', () => {
    const inc = candidate(0, 0.01);
    checkAgainstMargin(inc.c, 'increase', rates);
    expect(inc.asked).toEqual([[0.01, 0.05]]);
    const dec = candidate(0, 0.01);
    checkAgainstMargin(dec.c, 'decrease', rates);
    expect(dec.asked).toEqual([[0.05, 0.01]]);
    const either = candidate(0, 0.01);
    checkAgainstMargin(either.c, 'either', rates);
    expect(either.asked).toEqual([[0.005, 0.005], [0.05, 0.05]]);
  });
});

describe('checkAgainstMargins (alternative margins)', () => {
  it('passes if one margin passes, splitting the pass rate between them', () => {
    const relative = candidate(0.02, 0.05);
    const absolute = candidate(0.5, 0.1);
    const { verdict } = checkAgainstMargins([relative.c, absolute.c], 'increase', rates);
    expect(verdict).toBe('pass');
    expect(relative.asked).toEqual([[0.01, 0.025]]);
  });

  it('fails only when every margin fails', () => {
    expect(checkAgainstMargins([candidate(0.5, 0.1).c, candidate(0.05, 0.1).c], 'increase', rates).verdict).toBe('inconclusive');
    expect(checkAgainstMargins([candidate(0.5, 0.1).c, candidate(0.6, 0.1).c], 'increase', rates).verdict).toBe('fail');
  });
});
