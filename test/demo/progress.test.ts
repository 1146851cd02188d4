/** The demo's progress lines (demo/progress.ts): reasons wrapped, not cut; verdicts in words. */
import { argoSays, durationNotice, lookLines, wrap } from '../../demo/progress';

const reason =
  'critical metric not yet passing, latency: p95 changed by +3.1% (confidence interval -8.2% to +14.9%): not yet enough evidence to tell whether it is within the tolerated +10%; a pass needs about 4,100 more canary observations if the effect stays where it is';

describe('the demo progress lines', () => {
  it('wrap a long reason at the width, keeping every word, instead of cutting it', () => {
    const lines = wrap(reason, 60, '    ');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
    expect(lines.map((l) => l.trim()).join(' ')).toBe(reason);
    // A word longer than a line stays whole, on a line of its own.
    expect(wrap(`a ${'x'.repeat(30)} b`, 10, '')).toEqual(['a', 'x'.repeat(30), 'b']);
  });

  it('say an inconclusive look of the harm watch is inconclusive, not "Successful"', () => {
    expect(argoSays({ argo: { template: 'watch', phase: 'Successful' }, verdict: 'inconclusive' })).toBe('harm watch inconclusive (not a fail, which the watch records as Successful)');
    expect(argoSays({ argo: { template: 'watch', phase: 'Failed' }, verdict: 'fail' })).toBe('harm watch fail (Failed)');
    expect(argoSays({ argo: { template: 'gate', phase: 'Inconclusive' }, verdict: 'inconclusive' })).toBe('gate Inconclusive');
  });

  it("print Flagger's own answer when it refuses while Argo goes on, and one look count", () => {
    const lines = lookLines({
      scenario: 'healthy',
      elapsedMs: 83_000,
      look: 17,
      step: '50%',
      weights: 'v1=50% v2=50%',
      verdict: 'pass',
      reason: 'every metric passes',
      argo: { template: 'gate', phase: 'Successful' },
      flagger: { hook: 'confirm-promotion', status: 412, text: 'canary-judge inconclusive: critical metric not yet passing, errors: ...\n', rollbackStatus: 409 },
    });
    expect(lines[0]).toBe('[healthy 1:23] look 17, step 50% (v1=50% v2=50%): PASS');
    expect(lines).toContain('    Argo: gate Successful. Flagger: confirm-promotion 412, rollback 409.');
    expect(lines).toContain('    why: every metric passes');
    expect(lines.slice(3)).toEqual(["    Flagger's confirm-promotion answers 412: canary-judge inconclusive: critical metric not yet", '    passing, errors: ...']);
  });

  it('say up front how long the run takes', () => {
    expect(durationNotice(['healthy', 'slower', 'more-errors', 'score-shift', 'default-buckets', 'crash', 'rollback-then-fix'])).toMatch(/^7 scenarios \(healthy, .*\), about 4\.5 minutes in all/);
    expect(durationNotice(['slower'])).toMatch(/^1 scenario \(slower\), about 0\.5 minutes in all/);
  });
});
