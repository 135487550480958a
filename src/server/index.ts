export { buildApp, type AppOptions } from './app.js';
export { ingestRoutes, type IngestRoutesOptions, type BodyIngest } from './ingest-routes.js';
export { Metrics } from './metrics.js';
