// Variants are partial scenario files laid over the base in order. Mappings merge key by key, scalars
// and lists replace, `null` removes a key (back to the default), and `{ $append: [...] }` adds to a list
// (how a variant adds a phase without restating the scenario's timeline). Every value remembers the file
// and the path inside that file it came from, so errors point at the line that has to change.
import { isPlainObject } from './resolve.ts';
import type { PathSeg } from './errors.ts';
import { FORBIDDEN_KEYS } from './limits.ts';

export interface Origin {
  file: string;
  /** Path of the value inside `file` (differs from the merged path for appended list items). */
  srcPath: PathSeg[];
}

/**
 * Where each merged value came from, as a tree shaped like the merged value: replacing a value drops its
 * subtree in one step, and a value's children are stamped lazily from their parent's origin. (A flat map
 * of path strings cost a scan of every entry per replaced value: quadratic, 52 s for a 280 KB file.)
 */
export interface Provenance {
  origin?: Origin;
  /** Origins set explicitly below this value; absent children inherit `origin` plus their relative path. */
  children: Map<PathSeg, Provenance>;
}

const node = (origin?: Origin): Provenance => ({ ...(origin ? { origin } : {}), children: new Map() });

/**
 * A mapping that a later layer merges into takes that layer's origin; the keys it already had keep the
 * origin they inherited, made explicit first (once per merged mapping: linear overall).
 */
function reOrigin(prov: Provenance, current: Record<string, unknown>, origin: Origin): void {
  const old = prov.origin;
  if (old) for (const k of Object.keys(current)) if (!prov.children.has(k)) prov.children.set(k, node({ file: old.file, srcPath: [...old.srcPath, k] }));
  prov.origin = origin;
}

function child(prov: Provenance, seg: PathSeg): Provenance {
  let c = prov.children.get(seg);
  if (!c) prov.children.set(seg, (c = node()));
  return c;
}

export interface MergeIssue {
  file: string;
  srcPath: PathSeg[];
  path: PathSeg[];
  value: unknown;
  expected: string;
  problem: string;
}

function isAppend(v: unknown): v is { $append: unknown } {
  return isPlainObject(v) && Object.hasOwn(v, '$append');
}

export interface Layer {
  file: string;
  data: Record<string, unknown>;
}

/** Merge layers in order (first is the base). Returns the merged raw object and where each value came from. */
export function mergeLayers(layers: Layer[]): { merged: Record<string, unknown>; prov: Provenance; issues: MergeIssue[] } {
  const prov: Provenance = node();
  const issues: MergeIssue[] = [];
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    reOrigin(prov, merged, { file: layer.file, srcPath: [] });
    mergeInto(merged, layer.data, [], [], layer.file, prov, issues);
  }
  return { merged, prov, issues };
}

function mergeInto(
  target: Record<string, unknown>,
  overlay: Record<string, unknown>,
  path: PathSeg[],
  srcPath: PathSeg[],
  file: string,
  prov: Provenance,
  issues: MergeIssue[],
): void {
  for (const [k, v] of Object.entries(overlay)) {
    const p = [...path, k];
    const sp = [...srcPath, k];
    // The loader refuses these earlier with a line number; here they must never reach an assignment.
    if (FORBIDDEN_KEYS.has(k)) {
      issues.push({ file, srcPath: sp, path: p, value: k, expected: 'scenario field names', problem: `the key "${k}" is not allowed` });
      continue;
    }
    if (v === null) {
      delete target[k];
      prov.children.delete(k);
      continue;
    }
    if (isAppend(v)) {
      const extra = Object.keys(v).filter((x) => x !== '$append');
      const items = v.$append;
      const base = target[k] ?? [];
      if (extra.length || !Array.isArray(items) || !Array.isArray(base)) {
        issues.push({
          file,
          srcPath: sp,
          path: p,
          value: v,
          expected: '{ $append: [ ...items ] } on a field that is a list',
          problem: !Array.isArray(base) ? `cannot $append to ${k}, which is not a list` : 'malformed $append',
        });
        continue;
      }
      const start = base.length;
      target[k] = [...base, ...items];
      const list = child(prov, k);
      list.origin ??= { file, srcPath: sp };
      items.forEach((_, i) => list.children.set(start + i, node({ file, srcPath: [...sp, '$append', i] })));
      continue;
    }
    const directive = isPlainObject(v) ? Object.keys(v).find((x) => x.startsWith('$')) : undefined;
    if (directive) {
      issues.push({
        file,
        srcPath: [...sp, directive],
        path: [...p, directive],
        value: directive,
        expected: '$append (the only merge directive), applied to a list',
        problem: 'unknown merge directive',
      });
      continue;
    }
    const cur = Object.hasOwn(target, k) ? target[k] : undefined;
    if (isPlainObject(v) && isPlainObject(cur)) {
      const c = child(prov, k);
      reOrigin(c, cur, { file, srcPath: sp });
      mergeInto(cur, v, p, sp, file, c, issues);
      continue;
    }
    target[k] = structuredClone(v);
    prov.children.set(k, node({ file, srcPath: sp }));
  }
}

/** Where did the value at `path` come from? Falls back to the nearest ancestor that has an origin. */
export function originOf(prov: Provenance, path: readonly PathSeg[]): Origin & { exact: boolean } {
  let best: { o: Origin; n: number } | undefined = prov.origin ? { o: prov.origin, n: 0 } : undefined;
  let cur: Provenance | undefined = prov;
  for (let n = 0; n < path.length && cur; n++) {
    cur = cur.children.get(path[n]!);
    if (cur?.origin) best = { o: cur.origin, n: n + 1 };
  }
  if (!best) return { file: '(unknown)', srcPath: [...path], exact: false };
  return { file: best.o.file, srcPath: [...best.o.srcPath, ...path.slice(best.n)], exact: best.n === path.length };
}

/**
 * Expand dotted keys ({"shipper.mode": "backoff"}) into nested mappings, so overrides from a command
 * line and nested overlays take the same path through the merge.
 */
export function expandDotted(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const parts = k.split('.');
    // Refused by parseSetArgs with a clear line; never walked into here.
    if (parts.some((part) => FORBIDDEN_KEYS.has(part))) continue;
    let cur = out;
    for (const part of parts.slice(0, -1)) {
      if (!Object.hasOwn(cur, part) || !isPlainObject(cur[part])) cur[part] = {};
      cur = cur[part] as Record<string, unknown>;
    }
    const last = parts.at(-1)!;
    const val = isPlainObject(v) ? expandDotted(v) : v;
    cur[last] = isPlainObject(val) && isPlainObject(cur[last]) ? { ...(cur[last] as object), ...val } : val;
  }
  return out;
}
