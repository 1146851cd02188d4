import fixtures from '../fixtures/intervals.json';
import { wilsonBounds } from '../../src/stats/wilson-bounds';


describe('wilsonBounds', () => {
  it.each(fixtures.wilson.map((c) => [c.events, c.total, c]))('wilson %d/%d', (_e, _t, c) => {
    const bounds = wilsonBounds(c.events, c.total, c.alpha, c.alpha);
    expect(bounds.lower).toBeCloseTo(c.lower, 12);
    expect(bounds.upper).toBeCloseTo(c.upper, 12);
  });
});
