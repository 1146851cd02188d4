/**
 * The data-quality gate that runs before any statistic: a side with no data or fewer samples
 * than required can never pass (nor fail) a metric. Returns the reason, or null when the
 * data are sufficient.
 */
export function insufficientData(baselineN: number, canaryN: number, minSamples: number, unit: string): string | null {
  if (baselineN === 0 && canaryN === 0) return 'neither side has any data';
  if (baselineN === 0) return `the baseline has no data (the canary has ${canaryN} ${unit}), so there is nothing to compare against`;
  if (canaryN === 0) return `the canary has no data (the baseline has ${baselineN} ${unit})`;
  const thin = [
    baselineN < minSamples ? `the baseline has ${baselineN}` : null,
    canaryN < minSamples ? `the canary has ${canaryN}` : null,
  ].filter(Boolean);
  if (thin.length) return `${thin.join(' and ')} ${unit}, fewer than the ${minSamples} required (minSamples)`;
  return null;
}
