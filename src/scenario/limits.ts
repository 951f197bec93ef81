// Bounds on what a scenario, variant or --set may hold, so a hostile or broken file costs bounded time
// and memory and ends in one line that says what to change: size, encoding, nesting, aliases, and keys
// that would reach into JavaScript's object machinery when merged.
import * as fs from 'node:fs';
import type { PathSeg } from './errors.ts';

/** The shipped files are 1-4 KB; 64 KiB is far beyond any hand-written scenario and parses in milliseconds. */
export const MAX_FILE_BYTES = 64 * 1024;
/** The scenario format is four levels deep; anything far deeper is a mistake or an attack on the stack. */
export const MAX_DEPTH = 32;
/** yaml's own measure of alias expansion (anchors x uses); its default, named here so the message can say it. */
export const MAX_ALIAS_COUNT = 100;
/** Errors printed for one load; the rest are counted. */
export const MAX_ISSUES_SHOWN = 20;

/** Keys that, written into a plain object, change its prototype (or everyone's). Never scenario fields. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** YAML 1.1's merge key; the lab reads YAML 1.2, where it would silently be a field named "<<". */
export const MERGE_KEY = '<<';

export class InputLimitError extends Error {
  constructor(
    message: string,
    readonly expected: string,
  ) {
    super(message);
  }
}

const KIND = (st: fs.Stats): string =>
  st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : 'not a regular file';

/**
 * The bytes of a regular file, at most `MAX_FILE_BYTES`. Anything else (a FIFO, a device, a directory) is
 * refused from its stat, before it is opened for reading; the open itself does not block (O_NONBLOCK) and
 * is checked again, so a file swapped for a FIFO in between is refused too.
 */
export function readBoundedFile(abs: string, maxBytes = MAX_FILE_BYTES): Buffer {
  const st = fs.statSync(abs);
  if (!st.isFile()) throw new InputLimitError(`${KIND(st)}, not a regular file`, 'a regular file');
  if (st.size > maxBytes) throw new InputLimitError(`${st.size} bytes, larger than the limit of ${maxBytes}`, `a file of at most ${maxBytes} bytes`);
  const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const again = fs.fstatSync(fd);
    if (!again.isFile()) throw new InputLimitError(`${KIND(again)}, not a regular file`, 'a regular file');
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > maxBytes) throw new InputLimitError(`larger than the limit of ${maxBytes} bytes`, `a file of at most ${maxBytes} bytes`);
    }
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** UTF-8 text of a file's bytes, or why it is not: UTF-16/32, binary, or invalid UTF-8. A UTF-8 BOM is dropped. */
export function decodeUtf8(bytes: Buffer): string {
  const b = bytes;
  if ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff) || (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff)) {
    throw new InputLimitError('the file is UTF-16 or UTF-32 (it starts with a byte-order mark)', 'UTF-8 text: save the file as UTF-8');
  }
  const nul = b.indexOf(0);
  if (nul >= 0) {
    throw new InputLimitError(`the file holds a NUL byte at offset ${nul}: a binary file (or UTF-16 without a byte-order mark)`, 'a UTF-8 text file');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    throw new InputLimitError('the file is not valid UTF-8', 'UTF-8 text: save the file as UTF-8');
  }
}

/**
 * The deepest `[`/`{` flow nesting in YAML text, and the offset where it first passes `limit`, found by one
 * pass over the characters (quoted strings and comments skipped). yaml's composer recurses per level and
 * spends seconds on 20 000 `[` before it overflows; this refuses such a file in microseconds.
 */
export function flowDepthBeyond(text: string, limit = MAX_DEPTH): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") {
      // A quote opens a string only where a scalar can start (not inside a plain word like it's).
      const prev = text[i - 1];
      if (prev === undefined || /[\s[{,:]/.test(prev)) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === '[' || c === '{') {
      if (++depth > limit) return i;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return undefined;
}

export interface ShapeProblem {
  path: PathSeg[];
  problem: string;
  expected: string;
}

/**
 * Walks a parsed value without recursion (a deep value must not overflow the stack of the check meant to
 * catch it) and returns the first thing the loader must not merge: nesting beyond `MAX_DEPTH`, a key that
 * reaches an object's prototype, or a YAML merge key.
 */
export function checkShape(value: unknown): ShapeProblem | undefined {
  const stack: { v: unknown; path: PathSeg[] }[] = [{ v: value, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= MAX_DEPTH) return { path: path.slice(0, MAX_DEPTH), problem: `nested deeper than ${MAX_DEPTH} levels`, expected: `at most ${MAX_DEPTH} levels of nesting (a scenario needs four)` };
    if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push({ v: x, path: [...path, i] }));
      continue;
    }
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(k)) return { path: [...path, k], problem: `the key "${k}" is not allowed`, expected: 'scenario field names (a key named __proto__, constructor or prototype is never one)' };
      if (k === MERGE_KEY) return { path: [...path, k], problem: 'YAML merge keys (<<) are not supported', expected: 'the fields written out, or a variant file laid over the scenario (lab/variants)' };
      stack.push({ v: (v as Record<string, unknown>)[k], path: [...path, k] });
    }
  }
  return undefined;
}

/** Shortens a value for an error line: a 5 KB string must not become a 5 KB message. */
export function clip(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}
