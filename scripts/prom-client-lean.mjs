// Stands in for prom-client's index in the image bundle (see scripts/bundle.mjs): the four
// classes lvscare uses, from their own files. The index also loads the push gateway (zlib), the
// default metrics (perf_hooks, v8), Summary's t-digest and the cluster aggregator, none of which
// lvscare uses (metrics/process-metrics.ts has its own process metrics).
export { default as Registry } from 'prom-client/lib/registry.js';
export { default as Counter } from 'prom-client/lib/counter.js';
export { default as Gauge } from 'prom-client/lib/gauge.js';
export { default as Histogram } from 'prom-client/lib/histogram.js';
