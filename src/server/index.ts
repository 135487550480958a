export { buildApp, type AppOptions, type AppAccess } from './app.js';
export { Authenticator, JwtVerifier, TokensFile } from './auth/index.js';
export { ingestRoutes, type IngestRoutesOptions, type BodyIngest } from './ingest-routes.js';
export { Metrics } from './metrics.js';
export { LiveMetrics, SLOW_CONSUMER, GOING_AWAY } from './live-metrics.js';
