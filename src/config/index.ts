export { parseConfig, ConfigError, type Config, type Env, type IngestLimits, type OpenSearchConfig } from './config.js';
