import type { DeadLetter, DeadLetterLog } from '../ingest/index.js';
import type { Metrics } from './metrics.js';

/** The dead-letter log with every durable append counted (sag_dead_letters_written_total by source). */
export function countedDeadLetters(log: DeadLetterLog, metrics: Metrics): DeadLetterLog {
  return {
    open: () => log.open(),
    append: async (entries: readonly DeadLetter[]) => {
      await log.append(entries);
      const bySource = new Map<string, number>();
      for (const e of entries) bySource.set(e.source, (bySource.get(e.source) ?? 0) + 1);
      for (const [source, n] of bySource) metrics.countDeadLettersWritten(source, n);
    },
    list: (after, first) => log.list(after, first),
    read: (id) => log.read(id),
    close: () => log.close(),
  };
}
