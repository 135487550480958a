export { parseConfig, ConfigError, type Config, type Env, type IngestLimits, type OpenSearchConfig, type InfluxConfig } from './config.js';
export { isLoopback, JWT_ALGORITHMS, type AccessConfig, type AuthSettings, type CostLimits, type JwtAlgorithm, type JwtSettings } from './access-config.js';
export { forwardInClear, type ForwardConfig } from './forward-config.js';
export { parseLiveConfig, DEFAULT_LIVE_CONFIG, type LiveConfig } from './live-config.js';
