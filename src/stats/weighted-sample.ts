/**
 * A sample stored as its sorted distinct points with a count for each.
 *
 * Raw observations and Prometheus-style histograms share this form, so every rank and
 * distribution statistic is written once and handles ties (binned data tie by bucket) the
 * same way. For a histogram a point is a bucket's upper bound (`le`, possibly +Infinity)
 * and `lowerEdges` holds the bound of the bucket below, so interval methods can stay
 * conservative about where inside a bucket an observation lay.
 *
 * Invariants: `points` strictly ascending, `counts[i] > 0`, `n` = sum of counts; when
 * present, `observations` is `points` with each repeated `counts[i]` times.
 */
export interface WeightedSample {
  readonly points: Float64Array;
  readonly counts: Float64Array;
  readonly n: number;
  /** Present for binned data: the exclusive lower edge of each point's bucket. */
  readonly lowerEdges?: Float64Array;
  /**
   * Present for raw observations: every observation in ascending order, ties repeated (the
   * points expanded by their counts). The k-th smallest observation is then one index away
   * instead of a scan of the counts; a continuous metric reads about a dozen order
   * statistics (summaries, estimate, bounds), and at a million observations per side those
   * scans took about 35 ms, a sixth of the time of sorting both sides.
   */
  readonly observations?: Float64Array;
}

/**
 * Builds a weighted sample from raw observations: one sort of a Float64Array, then linear
 * passes that fold equal values together. The input is not mutated.
 *
 * Continuous data rarely repeat a value, so the sorted copy doubles as the point list and as
 * `observations` when there are no ties; only tied data pay for a separate point list.
 *
 * @example fromValues([3, 1, 3]) // points [1, 3], counts [1, 2], n 3
 */
export function fromValues(values: ArrayLike<number>): WeightedSample {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  // NaN equals nothing, so every NaN stays a point of its own (and the statistics reject it).
  let distinct = n > 0 ? 1 : 0;
  for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  if (distinct === n) return { points: sorted, counts: new Float64Array(n).fill(1), n, observations: sorted };

  const points = new Float64Array(distinct);
  const counts = new Float64Array(distinct);
  let last = -1;
  for (let i = 0; i < n; i++) {
    const v = sorted[i];
    if (last >= 0 && points[last] === v) {
      counts[last] += 1;
      // -0 and +0 tie under ===: writing the point back keeps `observations` the exact
      // expansion of points and counts, signs of zero included.
      sorted[i] = points[last];
    } else {
      last++;
      points[last] = v;
      counts[last] = 1;
    }
  }
  return { points, counts, n, observations: sorted };
}

/**
 * Builds a weighted sample from histogram buckets given as ascending upper bounds with the
 * number of observations in each bucket (not cumulative). Empty buckets are dropped, but each
 * remaining bucket keeps its true lower edge. The first bucket's lower edge is -Infinity
 * unless `firstLowerEdge` says otherwise (Prometheus assumes 0 for positive first bounds).
 */
export function fromBuckets(
  upperBounds: ArrayLike<number>,
  bucketCounts: ArrayLike<number>,
  firstLowerEdge = -Infinity,
): WeightedSample {
  const points: number[] = [];
  const counts: number[] = [];
  const lowerEdges: number[] = [];
  let n = 0;
  let lower = firstLowerEdge;
  for (let i = 0; i < upperBounds.length; i++) {
    const c = bucketCounts[i];
    if (c > 0) {
      points.push(upperBounds[i]);
      counts.push(c);
      lowerEdges.push(lower);
      n += c;
    }
    lower = upperBounds[i];
  }
  return {
    points: Float64Array.from(points),
    counts: Float64Array.from(counts),
    n,
    lowerEdges: Float64Array.from(lowerEdges),
  };
}

/** Total count at or below x (the unnormalised empirical CDF), by binary search. */
export function countAtOrBelow(sample: WeightedSample, x: number): number {
  let lo = 0;
  let hi = sample.points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sample.points[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  let total = 0;
  for (let i = 0; i < lo; i++) total += sample.counts[i];
  return total;
}
