import { describe, expect, it } from 'vitest';
import type { IdempotencyRecord, SessionStore, UveStore } from '../stores/types.js';
import type { DeadLetter, DeadLetterSink } from './dead-letter.js';
import { SessionIngest } from './session-ingest.js';
import { UveIngest } from './uve-ingest.js';

/**
 * The order of the two waits of a commit: the dead-letter append and the
 * store write. They overlap when a retry may repeat the write; when the
 * store keeps the answer with the records (an idempotency key), the rejects
 * are kept first. Either way the answer waits for both.
 */

const RECORD = JSON.stringify({
  time: '2026-11-25T10:00:00Z',
  vn: 'a',
  remote_vn: 'b',
  vrouter_ip: '192.168.0.1',
  local_ip: '10.0.0.1',
  client_port: 1,
  remote_ip: '10.0.0.2',
  server_port: 2,
  protocol: 6,
  session_type: 'client',
  forward_sampled_bytes: 1,
  forward_sampled_pkts: 1,
  reverse_sampled_bytes: 1,
  reverse_sampled_pkts: 1,
});
const BODY = Buffer.from(`${RECORD}\n{"vn":""}\n`);

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** A sink whose appends wait until the test lets them through, noting what happens in `events`. */
function heldSink(events: string[]): DeadLetterSink & { readonly gate: ReturnType<typeof deferred> } {
  const gate = deferred();
  return {
    gate,
    append: async (entries: readonly DeadLetter[]) => {
      events.push(`append ${entries.length}`);
      await gate.promise;
      events.push('appended');
    },
    close: () => Promise.resolve(),
  };
}

function sessionStore(events: string[], idempotent: boolean): SessionStore {
  const unused = () => Promise.reject(new Error('unused'));
  return {
    backend: 'test',
    write: async (batch, options) => {
      events.push(`write ${batch.length}${options?.idempotency === undefined ? '' : ' with answer'}`);
    },
    ...(idempotent ? { findIdempotency: (): Promise<IdempotencyRecord | null> => Promise.resolve(null) } : {}),
    traffic: unused,
    series: unused,
    values: unused,
    labelNames: unused,
    records: unused,
    storedLabelNames: () => Promise.resolve({ local: [], remote: [] }),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

function sessions(deadLetters: DeadLetterSink, store: SessionStore): SessionIngest {
  return new SessionIngest({ store, deadLetters, clock: () => 1_795_608_000_000_000_000n, limits: { maxRecords: 100, maxLabels: 8 } });
}

/** Lets the microtasks run that can run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('committing a request: the dead-letter append and the store write', () => {
  it('overlap when no answer is stored with the records, and the answer waits for both', async () => {
    const events: string[] = [];
    const sink = heldSink(events);
    let answered = false;
    const result = sessions(sink, sessionStore(events, false))
      .ingestBody(BODY, 'ndjson', 'http:/ingest/sessions')
      .then((r) => ((answered = true), r));
    await settle();
    expect(events).toEqual(['append 1', 'write 1']);
    expect(answered).toBe(false);
    sink.gate.resolve();
    expect(await result).toMatchObject({ accepted: 1, rejected: 1 });
    expect(events).toEqual(['append 1', 'write 1', 'appended']);
  });

  it('overlap for a key the store does not keep, too', async () => {
    const events: string[] = [];
    const sink = heldSink(events);
    const result = sessions(sink, sessionStore(events, false)).ingestBody(BODY, 'ndjson', 'http:/ingest/sessions', { idempotencyKey: 'k' });
    await settle();
    expect(events).toEqual(['append 1', 'write 1']);
    sink.gate.resolve();
    await result;
  });

  it('run one after the other when the store keeps the answer: the rejects it reports are kept first', async () => {
    const events: string[] = [];
    const sink = heldSink(events);
    const result = sessions(sink, sessionStore(events, true)).ingestBody(BODY, 'ndjson', 'http:/ingest/sessions', { idempotencyKey: 'k' });
    await settle();
    expect(events).toEqual(['append 1']);
    sink.gate.resolve();
    expect(await result).toMatchObject({ accepted: 1, rejected: 1 });
    expect(events).toEqual(['append 1', 'appended', 'write 1 with answer']);
  });

  it('fail the request when the rejects could not be kept, even though the records were written', async () => {
    const events: string[] = [];
    const sink = heldSink(events);
    const result = sessions(sink, sessionStore(events, false)).ingestBody(BODY, 'ndjson', 'http:/ingest/sessions');
    await settle();
    sink.gate.reject(new Error('ENOSPC: no space left on device'));
    await expect(result).rejects.toThrow('ENOSPC');
    expect(events).toEqual(['append 1', 'write 1']);
  });

  it('overlap for UVEs, whose upsert a retry may repeat', async () => {
    const events: string[] = [];
    const sink = heldSink(events);
    const store = {
      backend: 'test',
      upsertMany: async (writes: readonly unknown[]) => {
        events.push(`upsert ${writes.length}`);
        return [];
      },
    } as unknown as UveStore;
    const body = Buffer.from(`{"type":"virtual-network","name":"a","document":{}}\n{"type":"","name":"b","document":{}}\n`);
    const result = new UveIngest({ store, deadLetters: sink, maxRecords: 10 }).ingestBody(body, 'ndjson', 'http:/ingest/uves');
    await settle();
    expect(events).toEqual(['append 1', 'upsert 1']);
    sink.gate.resolve();
    expect(await result).toMatchObject({ accepted: 1, rejected: 1 });
  });
});
