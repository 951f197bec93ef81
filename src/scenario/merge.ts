// Variants are partial scenario files laid over the base in order. Mappings merge key by key, scalars
// and lists replace, `null` removes a key (back to the default), and `{ $append: [...] }` adds to a list
// (how a variant adds a phase without restating the scenario's timeline). Every value remembers the file
// and the path inside that file it came from, so errors point at the line that has to change.
import { isPlainObject } from './resolve.ts';
import type { PathSeg } from './errors.ts';

export interface Origin {
  file: string;
  /** Path of the value inside `file` (differs from the merged path for appended list items). */
  srcPath: PathSeg[];
}

export type Provenance = Map<string, Origin>;

export interface MergeIssue {
  file: string;
  srcPath: PathSeg[];
  path: PathSeg[];
  value: unknown;
  expected: string;
  problem: string;
}

export const keyOf = (p: readonly PathSeg[]): string => JSON.stringify(p);

/** Record `value` (and all below it) as coming from `origin`. */
function stamp(prov: Provenance, path: PathSeg[], value: unknown, origin: Origin): void {
  prov.set(keyOf(path), origin);
  if (Array.isArray(value)) {
    value.forEach((v, i) => stamp(prov, [...path, i], v, { file: origin.file, srcPath: [...origin.srcPath, i] }));
  } else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) stamp(prov, [...path, k], v, { file: origin.file, srcPath: [...origin.srcPath, k] });
  }
}

function forget(prov: Provenance, path: PathSeg[]): void {
  const prefix = keyOf(path).slice(0, -1);
  for (const k of [...prov.keys()]) if (k === keyOf(path) || k.startsWith(prefix + ',')) prov.delete(k);
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
  const prov: Provenance = new Map();
  const issues: MergeIssue[] = [];
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    prov.set(keyOf([]), { file: layer.file, srcPath: [] });
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
    if (v === null) {
      delete target[k];
      forget(prov, p);
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
      if (!prov.has(keyOf(p))) prov.set(keyOf(p), { file, srcPath: sp });
      items.forEach((item, i) => stamp(prov, [...p, start + i], item, { file, srcPath: [...sp, '$append', i] }));
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
    const cur = target[k];
    if (isPlainObject(v) && isPlainObject(cur)) {
      prov.set(keyOf(p), { file, srcPath: sp });
      mergeInto(cur, v, p, sp, file, prov, issues);
      continue;
    }
    forget(prov, p);
    target[k] = structuredClone(v);
    stamp(prov, p, v, { file, srcPath: sp });
  }
}

/** Where did the value at `path` come from? Falls back to the nearest ancestor that has an origin. */
export function originOf(prov: Provenance, path: readonly PathSeg[]): Origin & { exact: boolean } {
  for (let n = path.length; n >= 0; n--) {
    const o = prov.get(keyOf(path.slice(0, n)));
    if (o) return { file: o.file, srcPath: [...o.srcPath, ...path.slice(n)], exact: n === path.length };
  }
  return { file: '(unknown)', srcPath: [...path], exact: false };
}

/**
 * Expand dotted keys ({"shipper.mode": "backoff"}) into nested mappings, so overrides from a command
 * line and nested overlays take the same path through the merge.
 */
export function expandDotted(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const parts = k.split('.');
    let cur = out;
    for (const part of parts.slice(0, -1)) {
      if (!isPlainObject(cur[part])) cur[part] = {};
      cur = cur[part] as Record<string, unknown>;
    }
    const last = parts.at(-1)!;
    const val = isPlainObject(v) ? expandDotted(v) : v;
    cur[last] = isPlainObject(val) && isPlainObject(cur[last]) ? { ...(cur[last] as object), ...val } : val;
  }
  return out;
}
