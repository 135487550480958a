export { SessionIngest, type IngestResult, type IngestError, type IncomingRecord, type SessionIngestOptions } from './session-ingest.js';
export { FileDeadLetterSink, type DeadLetter, type DeadLetterSink } from './dead-letter.js';
