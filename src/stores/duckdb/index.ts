export { DuckDb, type DuckDbOptions } from './database.js';
export { DuckDbSessionStore, type DuckDbSessionStoreOptions } from './session-store.js';
export { DuckDbUveStore } from './uve-store.js';
export { compileTraffic, compileSeries } from './compile.js';
export { inlineSql, type SqlStatement } from './sql.js';
export type { Rollup, RollupStats } from './rollup.js';
export { DuckDbThread, type DuckDbThreadOptions } from './thread/client.js';
