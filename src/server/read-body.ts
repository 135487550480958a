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
 * On a refusal the request stream is paused, not destroyed, so that the
 * answer can still be sent; the route closes the connection after it.
 * The body is put together in a buffer from `alloc` (a BodyLease), or a
 * new one.
 */
export function readBody(
  stream: Readable,
  encoding: ContentEncoding,
  maxBytes: number,
  grow: (total: number) => void,
  alloc: (size: number) => Buffer = Buffer.allocUnsafe,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const gunzip = encoding === 'gzip' ? createGunzip() : undefined;
    const source: Readable = gunzip ?? stream;
    let settled = false;
    const stop = () => {
      settled = true;
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onSourceError);
      stream.off('error', onStreamError);
      if (gunzip !== undefined) {
        stream.unpipe(gunzip);
        gunzip.destroy();
      }
      stream.pause();
    };
    const fail = (e: unknown) => {
      if (settled) return;
      stop();
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      try {
        total += chunk.length;
        if (total > maxBytes) throw new BodyTooLarge(maxBytes);
        grow(total);
        chunks.push(chunk);
      } catch (e) {
        fail(e);
      }
    };
    const onEnd = () => {
      if (settled) return;
      stop();
      const body = alloc(total);
      let at = 0;
      for (const chunk of chunks) at += chunk.copy(body, at);
      resolve(body);
    };
    const onSourceError = (e: Error) => fail(gunzip !== undefined && isZlibError(e) ? new BadEncoding('gzip', e) : e);
    const onStreamError = (e: Error) => fail(e);
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onSourceError);
    if (gunzip !== undefined) {
      stream.on('error', onStreamError);
      stream.pipe(gunzip);
    }
  });
}

function isZlibError(e: Error): boolean {
  return 'code' in e && String((e as NodeJS.ErrnoException).code).startsWith('Z_');
}
