export { GatewayError, badInput, backendUnavailable, forbidden, storeClosed, tooExpensive, type ErrorCode } from './errors.js';
export { parseDuration, formatDuration, type Duration } from './duration.js';
export {
  parseDateTime,
  parseTime,
  isTimeInBounds,
  TIME_MIN,
  TIME_END,
  TIME_OUTSIDE,
  formatDateTime,
  formatDateTimeNanos,
  parseEpochNs,
  systemClock,
  type Clock,
  type EpochNs,
} from './time.js';
export {
  DIMENSIONS,
  DIMENSION_COLUMNS,
  COUNTER_COLUMNS,
  METRIC_COLUMN,
  LABEL_NAME,
  INT_MAX,
  LABEL_VALUE_MAX,
  isLabelName,
  labelColumn,
  type Dimension,
  type DimensionColumn,
  type StringColumn,
  type IntColumn,
  type CounterColumn,
  type Metric,
  type LabelSide,
} from './columns.js';
export { zeroTraffic, addRecord, bareObject, type SessionRecord, type SessionType, type Traffic } from './record.js';
export {
  RecordBatchBuilder,
  encodeRecords,
  decodeRecords,
  selectRecords,
  BIGINTS_PER_RECORD,
  INTS_PER_RECORD,
  FIXED_STRINGS,
  NULL_STRING,
  LITTLE_ENDIAN,
  CACHED_LABELS,
  type RecordBatch,
  type BatchMark,
} from './record-batch.js';
export {
  validateSessionRecord,
  RecordError,
  STRING_MAX,
  type RecordCandidate,
  type RecordContext,
  type RecordLimits,
  type FieldNaming,
} from './record-validation.js';
export {
  buildFilter,
  predicateColumns,
  TRUE,
  type Predicate,
  type StringOp,
  type IntOp,
  type LabelOp,
  type SessionFilterInput,
} from './filter.js';
export { resolveRange, type TimeRangeInput, type TimeSpan } from './range.js';
export { parseTiers, routeSource, tierName, DEFAULT_DROP, MAX_RETENTION, type TierSpec, type Retention, type Source } from './tiers.js';
export {
  planSources,
  planTiers,
  floorTo,
  ceilTo,
  DEFAULT_WINDOW_EQUIVALENT_NS,
  type SourcePiece,
  type SourcePlan,
  type Folding,
  type SourceStats,
  type PlanContext,
} from './sources.js';
export { encodeOffsetCursor, encodeKeyCursor } from './cursor.js';
export {
  buildTrafficQuery,
  ALL_METRICS,
  buildSeriesQuery,
  trafficPageInfo,
  groupKeyColumn,
  type TrafficQuery,
  type SeriesQuery,
  type GroupKey,
  type TrafficOrder,
  type SortDirection,
  type QueryLimits,
  type BuildContext,
  type TrafficArgs,
  type SeriesArgs,
  type GroupKeyInput,
  type TrafficRanking,
  type Comparison,
} from './query.js';
export {
  buildValuesQuery,
  buildLabelNamesQuery,
  MAX_PREFIX,
  type ValuesQuery,
  type LabelNamesQuery,
  type ValuesArgs,
  type LabelNamesArgs,
} from './hints.js';
export {
  buildRecordsQuery,
  encodeRecordsCursor,
  type RecordsQuery,
  type RecordsArgs,
  type RecordsPosition,
} from './records-query.js';
export {
  validateUveType,
  validateUveName,
  validateUveDocument,
  buildUveListQuery,
  structsOf,
  valueAt,
  globMatches,
  UVE_TYPE,
  type UveDocument,
  type UveWrite,
  type UveListQuery,
  type UveListArgs,
} from './uve.js';
export { SCOPES, UNRESTRICTED, type Caller, type Scope } from './caller.js';
export {
  DEFAULT_NAMESPACE_PROJECT_PREFIX,
  namespaceScopeOf,
  buildNamespaceScope,
  projectOf,
  scopeCovers,
  scopeCoversSession,
  scopeFilter,
  scopeKey,
  assertUveWritable,
  type NamespaceScope,
} from './namespace-scope.js';
export { compileMatcher, indexTermOf, indexValueOf, type RecordMatcher, type IndexTerm } from './record-match.js';
export { buildTailQuery, buildTrafficLiveQuery, type TailQuery, type TailArgs, type TrafficLiveQuery, type TrafficLiveArgs } from './live-query.js';
