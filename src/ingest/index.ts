export { SessionIngest, type SessionIngestOptions } from './session-ingest.js';
export type { IncomingRecord, IngestError, IngestOptions, IngestResult } from './types.js';
export { UveIngest, type UveIngestOptions } from './uve-ingest.js';
export {
  UndecodedInput,
  type DeadLetter,
  type DeadLetterDrop,
  type DeadLetterDropReason,
  type DeadLetterEntry,
  type DeadLetterLog,
  type DeadLetterLookup,
  type DeadLetterPage,
  type DeadLetterReader,
  type DeadLetterSink,
} from './dead-letter.js';
export { FileDeadLetterLog, type FileDeadLetterLogOptions } from './dead-letter-file.js';
export { OpenSearchDeadLetterLog, type OpenSearchDeadLetterLogOptions } from './dead-letter-opensearch.js';
export { InflightBudget, Saturated, ShuttingDown, type Reservation } from './inflight-budget.js';
export { splitBody, type BodyFormat, type BodyItem } from './body.js';
export { expandSessionItem } from './session-decoder.js';
export { parseJson } from './json-reader.js';
export { JsonSyntaxError } from './json-parser.js';
export { DeadLetterAdmin, type DeadLetterAdminOptions } from './dead-letter-admin.js';
export { LabelNames, type LabelRefusal } from './label-names.js';
