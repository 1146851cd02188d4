/**
 * Latency bucket bounds (ms) for istio_request_duration_milliseconds.
 *
 * Envoy's defaults are 2-2.5x apart where model latency lives, so no quantile bound drawn
 * from them can resolve a +10 % margin (see src/judge/bucket-resolution.ts). The resolving
 * set is what the seed's Rollout and Flagger target ship in the pod annotation
 * `sidecar.istio.io/statsHistogramBuckets`: about 4.5 % apart from 25 to 418 ms, so that two
 * neighbouring buckets span less than 10 % (a quantile whose rank bounds straddle one bound
 * can still pass a +10 % margin), and Envoy-like coarse bounds outside that range to keep the
 * number of series down. A test checks the manifests carry exactly this list.
 */
export const ENVOY_DEFAULT_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

export const RESOLVING_LATENCY_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 15, 20, 25, 26.1, 27.3, 28.5, 29.8, 31.2, 32.6, 34, 35.6, 37.2, 38.8, 40.6, 42.4, 44.3, 46.3, 48.4, 50.6,
  52.8, 55.2, 57.7, 60.3, 63, 65.8, 68.8, 71.9, 75.1, 78.5, 82.1, 85.7, 89.6, 93.6, 97.8, 102, 107, 112, 117, 122, 127,
  133, 139, 145, 152, 159, 166, 173, 181, 189, 198, 207, 216, 226, 236, 247, 258, 269, 281, 294, 307, 321, 336, 351, 366,
  383, 400, 418, 500, 750, 1000, 2500, 5000, 10000, 30000, 60000,
];
