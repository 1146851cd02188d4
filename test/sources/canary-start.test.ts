import { CANARY_GAP_SECONDS, latestRunStart } from '../../src/sources/canary-start';

describe('latestRunStart: where the canary\'s current run of traffic began', () => {
  const minute = 60;
  const ends = (from: number, to: number, skip: readonly number[] = []) => Array.from({ length: (to - from) / minute + 1 }, (_, k) => from + k * minute).filter((t) => !skip.includes(t));

  it('is null without traffic', () => {
    expect(latestRunStart([], minute)).toBeNull();
  });

  it('is the start of the first step with requests when traffic never paused', () => {
    expect(latestRunStart(ends(6000, 9000), minute)).toBe(6000 - minute);
  });

  it('keeps short silences inside one run (a quiet 1 % step)', () => {
    // 14 silent minutes: one run.
    const steps = [...ends(6000, 6600), ...ends(6600 + 15 * minute, 9000)];
    expect(latestRunStart(steps, minute)).toBe(6000 - minute);
  });

  it('starts after a silence of the gap or longer (the previous revision of a reused Flagger workload)', () => {
    const previous = ends(1000, 2000);
    // 15 silent minutes between 2000 and the next step with requests.
    const current = ends(2000 + (CANARY_GAP_SECONDS + minute), 6000);
    expect(latestRunStart([...current, ...previous].reverse(), minute)).toBe(2000 + CANARY_GAP_SECONDS);
  });

  it('counts every series at a step once (steps from several series, duplicated and unsorted)', () => {
    expect(latestRunStart([9000, 6000, 6060, 6000, 9000, 6120], minute, 5 * minute)).toBe(9000 - minute);
    expect(latestRunStart([9000, 6000, 6060, 6000, 9000, 6120], minute, 60 * minute)).toBe(6000 - minute);
  });
});
