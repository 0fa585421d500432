// Stands in for @opentelemetry/api in the image bundle (see scripts/bundle.mjs): lvscare never
// enables the prom-client default metrics that would use it.
module.exports = {};
