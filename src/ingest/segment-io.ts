// Reading lines of an append-only NDJSON file by byte offset, forwards and backwards.
import { open, type FileHandle } from 'node:fs/promises';

const CHUNK = 1 << 16;
const NEWLINE = 0x0a;

export async function bytesAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, offset);
  return buf.subarray(0, bytesRead);
}

/** The complete line starting at `offset` and where the next starts; null for a line without its newline (still being written, or torn). */
export async function lineAt(fh: FileHandle, offset: number, size: number): Promise<{ text: string; next: number } | null> {
  const parts: Buffer[] = [];
  let pos = offset;
  while (pos < size) {
    const chunk = await bytesAt(fh, pos, Math.min(CHUNK, size - pos));
    if (chunk.length === 0) break;
    const nl = chunk.indexOf(NEWLINE);
    if (nl >= 0) {
      parts.push(chunk.subarray(0, nl));
      return { text: Buffer.concat(parts).toString('utf8'), next: pos + nl + 1 };
    }
    parts.push(chunk);
    pos += chunk.length;
  }
  return null;
}

/** True when `offset` is where a line starts: the file's start, or just after a newline. */
export async function isLineStart(fh: FileHandle, offset: number): Promise<boolean> {
  return offset === 0 || (await bytesAt(fh, offset - 1, 1))[0] === NEWLINE;
}

/** The offset of the last newline before `end`, or -1 when there is none. */
export async function lastNewlineBefore(fh: FileHandle, end: number): Promise<number> {
  let pos = end;
  while (pos > 0) {
    const from = Math.max(0, pos - CHUNK);
    const chunk = await bytesAt(fh, from, pos - from);
    const nl = chunk.lastIndexOf(NEWLINE);
    if (nl >= 0) return from + nl;
    pos = from;
  }
  return -1;
}

/** How many complete lines the file holds (0 when it is gone). */
export async function countLines(path: string): Promise<number> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  try {
    const buf = Buffer.alloc(1 << 20);
    let lines = 0;
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return lines;
      const chunk = buf.subarray(0, bytesRead);
      for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, i + 1)) lines++;
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** Makes a file created in `dir` (or removed from it) survive a crash: fsync of the directory. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
