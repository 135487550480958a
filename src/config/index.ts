export { parseConfig, ConfigError, type Config, type Env, type IngestLimits, type OpenSearchConfig, type InfluxConfig } from './config.js';
