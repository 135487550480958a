export { OpenSearchUveStore, type OpenSearchUveStoreOptions } from './uve-store.js';
export {
  OpenSearchClient,
  OpenSearchRequestError,
  clientOptions,
  toGatewayError,
  type OpenSearchConnection,
  type OsResponse,
} from './client.js';
export {
  compileList,
  compileMget,
  compileGet,
  compileUpsert,
  compileDelete,
  compileTemplate,
  compileTypes,
  docId,
  formatRequest,
  globToWildcard,
  MAX_RESULT_WINDOW,
  indexName,
  templateName,
  compileBulkUpsert,
  type OsRequest,
  type UveWrite,
} from './compile.js';
export { UVE_MAPPINGS } from './mapping.js';
