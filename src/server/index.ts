export { buildApp, type AppOptions, type AppAccess } from './app.js';
export { Authenticator, JwtVerifier, TokensFile } from './auth/index.js';
export { ingestRoutes, type IngestRoutesOptions, type BodyIngest } from './ingest-routes.js';
export { Metrics, type MetricsOptions, type InflightSource } from './metrics.js';
export { timedSessionStore, timedUveStore } from './timed-stores.js';
export { countedDeadLetters } from './counted-dead-letters.js';
export { ForwardIngest, ForwardListener } from './forward/index.js';
export { LiveMetrics, SLOW_CONSUMER, GOING_AWAY } from './live-metrics.js';
