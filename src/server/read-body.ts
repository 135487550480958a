import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** The body, after decompression, is past the limit (HTTP 413). */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the body is larger than ${limit} bytes after decompression (INGEST_MAX_BODY_BYTES); send fewer records per request`);
    this.name = 'BodyTooLarge';
  }
}

/** The body is not what its Content-Encoding says (HTTP 400). */
export class BadEncoding extends Error {
  constructor(encoding: string, cause: unknown) {
    super(`the body is not valid ${encoding}: ${(cause as Error).message}`, { cause });
    this.name = 'BadEncoding';
  }
}

export type ContentEncoding = 'identity' | 'gzip';

/**
 * Reads a request body into memory, decompressing gzip on the way, and stops
 * as soon as the decompressed size passes `maxBytes`, so a gzip bomb costs at
 * most `maxBytes`. `grow(total)` is called with the running decompressed size
 * before each chunk is kept and may throw to refuse it (the in-flight budget).
 */
export async function readBody(
  stream: Readable,
  encoding: ContentEncoding,
  maxBytes: number,
  grow: (total: number) => void,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const keep = (chunk: Buffer) => {
    total += chunk.length;
    if (total > maxBytes) throw new BodyTooLarge(maxBytes);
    grow(total);
    chunks.push(chunk);
  };
  if (encoding === 'identity') {
    for await (const chunk of stream) keep(chunk as Buffer);
    return Buffer.concat(chunks, total);
  }
  const gunzip = createGunzip();
  stream.on('error', (e) => gunzip.destroy(e));
  stream.pipe(gunzip);
  try {
    for await (const chunk of gunzip) keep(chunk as Buffer);
  } catch (e) {
    if (e instanceof BodyTooLarge || !(e instanceof Error) || !('code' in e) || !String(e.code).startsWith('Z_')) throw e;
    throw new BadEncoding('gzip', e);
  } finally {
    stream.unpipe(gunzip);
    gunzip.destroy();
  }
  return Buffer.concat(chunks, total);
}
