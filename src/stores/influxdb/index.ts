export { InfluxSessionStore, SERIES_READ_POINTS, type InfluxSessionStoreOptions, type StoreLog } from './session-store.js';
export { InfluxHttp, InfluxRequestError, realTimer, type InfluxConnection, type RetryTimer } from './client.js';
export { compileTraffic, compileSeries } from './compile.js';
export { compilePredicate } from './predicate.js';
export { influxLayout, tierBucketName, type InfluxLayout, type InfluxTier } from './layout.js';
export { rollupSchedule, rollupTaskName, windowsDue, foldWindow, rollupWindowScript } from './rollup.js';
export { encodeTagValue, decodeTagValue } from './tag-codec.js';
export { influxFolding, foldedBefore } from './folding.js';
