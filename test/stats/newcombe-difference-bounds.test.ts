import fixtures from '../fixtures/intervals.json';
import { newcombeDifferenceBounds } from '../../src/stats/newcombe-difference-bounds';


describe('newcombeDifferenceBounds', () => {
  it.each(fixtures.newcombe.map((c) => [c.ce, c.ct, c.be, c.bt, c]))('newcombe %d/%d vs %d/%d', (_a, _b, _c, _d, c) => {
    const bounds = newcombeDifferenceBounds(c.ce, c.ct, c.be, c.bt, c.alpha, c.alpha);
    expect(bounds.lower).toBeCloseTo(c.lower, 12);
    expect(bounds.upper).toBeCloseTo(c.upper, 12);
  });
});
