/** What every classic hypothesis test in this folder returns. */
export interface TestResult {
  /** The test statistic, in the units the named method defines. */
  readonly statistic: number;
  /** Two-sided p-value in [0, 1] unless the method says otherwise. */
  readonly pValue: number;
  /** How the p-value was obtained, e.g. "exact" or "asymptotic". */
  readonly method: string;
}
