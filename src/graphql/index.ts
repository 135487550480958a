export { resolvers } from './resolvers.js';
export { loadTypeDefs, SCHEMA_DIR } from './schema.js';
export { createContext, type GatewayContext, type Services } from './context.js';
export { formatError, type ErrorLog } from './errors.js';
export { operationShape, scopeOf, ROOT_FIELD_SCOPES, type OperationShape } from './access.js';
export { type LiveServices } from './live-resolvers.js';
