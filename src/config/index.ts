export { parseConfig, ConfigError, type Config, type Env, type IngestLimits } from './config.js';
