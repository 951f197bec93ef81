// Walks the schema over a merged raw scenario: fills defaults, converts durations to ms, and collects
// every problem (not only the first) with the path where it occurred.
import { parseDuration, formatGoDuration, DurationError } from '../util/duration.ts';
import { closest, type PathSeg } from './errors.ts';
import { allFieldPaths, MAX_DURATION_MS, type Spec } from './schema.ts';
import { MAX_ISSUES_SHOWN } from './limits.ts';

export interface RawIssue {
  path: PathSeg[];
  value?: unknown;
  expected: string;
  problem?: string;
  hint?: string;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isDurationSpec(s: Spec): boolean {
  return s.kind === 'duration' || (s.kind === 'noneOr' && s.spec.kind === 'duration');
}

/** Resolved name of a field: durations gain an `Ms` suffix so their unit is in the name. */
export function resolvedKey(key: string, spec: Spec): string {
  return isDurationSpec(spec) ? `${key}Ms` : key;
}

export function resolveSpec(spec: Spec, raw: unknown, path: PathSeg[], issues: RawIssue[]): unknown {
  if (spec.fixed !== undefined) return resolveFixed(spec, raw, path, issues);
  // YAML `field:` or `field: ~` means "not set": take the default, like an absent field.
  const value = raw === null ? undefined : raw;
  const issue = (expected: string, extra: Partial<RawIssue> = {}) => {
    issues.push({ path, ...(value !== undefined ? { value } : {}), expected, ...extra });
    return undefined;
  };

  switch (spec.kind) {
    case 'object': {
      const expected = `a mapping with fields ${Object.keys(spec.fields).join(', ')}`;
      if (value === undefined) {
        if (spec.optional) return null;
        if (spec.required) return issue(expected, { problem: 'required field' });
      } else if (!isPlainObject(value)) {
        return issue(expected);
      }
      const obj = value ?? {};
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(spec.fields)) {
        out[resolvedKey(k, s)] = resolveSpec(s, obj[k], [...path, k], issues);
      }
      for (const k of Object.keys(obj)) {
        if (Object.hasOwn(spec.fields, k)) continue;
        // Hints cost a string distance against every field; only the issues that get printed earn one.
        issues.push(issues.length < MAX_ISSUES_SHOWN ? unknownField(k, path, Object.keys(spec.fields)) : { path: [...path, k], expected: 'a known field', problem: 'unknown field' });
      }
      return out;
    }
    case 'list': {
      if (value === undefined) return spec.required ? issue('a list', { problem: 'required field' }) : [];
      if (!Array.isArray(value)) return issue('a list');
      if (spec.minItems !== undefined && value.length < spec.minItems) {
        return issue(`a list of at least ${spec.minItems} item(s)`);
      }
      return value.map((item, i) => resolveSpec(spec.item, item, [...path, i], issues));
    }
    case 'enum': {
      const expected = `one of ${spec.values.map((v) => (typeof v === 'string' ? v : String(v))).join(' | ')}`;
      if (value === undefined) {
        return spec.default !== undefined ? spec.default : spec.required ? issue(expected, { problem: 'required field' }) : undefined;
      }
      if (spec.values.includes(value as string | number)) return value;
      const why = spec.withdrawn && Object.hasOwn(spec.withdrawn, String(value)) ? spec.withdrawn[String(value)] : undefined;
      if (why !== undefined) return issue(expected, { problem: why });
      const asText = String(value);
      const typed = spec.values.find((v) => String(v) === asText);
      if (typed !== undefined) return issue(expected, { hint: `write ${String(typed)} without quotes` });
      const near = typeof value === 'string' ? closest(value, spec.values.map(String)) : undefined;
      return issue(expected, near ? { hint: `did you mean "${near}"?` } : {});
    }
    case 'int':
    case 'number': {
      const range = rangeText(spec.min, spec.max, spec.kind === 'number' && spec.exclusiveMin === true);
      const expected = `${spec.kind === 'int' ? 'an integer' : 'a number'}${range}`;
      if (value === undefined) {
        return spec.default !== undefined ? spec.default : spec.required ? issue(expected, { problem: 'required field' }) : undefined;
      }
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        const hint = typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? 'write it without quotes' : undefined;
        return issue(expected, hint ? { hint } : {});
      }
      if (spec.kind === 'int' && !Number.isInteger(value)) return issue(expected);
      const exclusive = spec.kind === 'number' && spec.exclusiveMin === true;
      if (spec.min !== undefined && (exclusive ? value <= spec.min : value < spec.min)) return issue(expected);
      if (spec.max !== undefined && value > spec.max) return issue(expected);
      return value;
    }
    case 'bool': {
      if (value === undefined) {
        return spec.default !== undefined ? spec.default : spec.required ? issue('true or false', { problem: 'required field' }) : undefined;
      }
      if (typeof value === 'boolean') return value;
      const hint = typeof value === 'string' && /^(yes|no|on|off|true|false)$/i.test(value) ? 'write true or false, unquoted' : undefined;
      return issue('true or false', hint ? { hint } : {});
    }
    case 'string': {
      const expected = spec.expect ?? 'a string';
      if (value === undefined) {
        return spec.default !== undefined ? spec.default : spec.required ? issue(expected, { problem: 'required field' }) : undefined;
      }
      if (typeof value !== 'string') return issue(expected);
      if (spec.pattern && !spec.pattern.test(value)) return issue(expected);
      return value;
    }
    case 'duration': {
      const max = spec.max ?? MAX_DURATION_MS;
      const range = rangeText(spec.min, max, false, true);
      const expected = `a duration like "90s", "3m", "1h30m" or "250ms"${range}`;
      if (value === undefined) {
        if (spec.default === null) return null;
        if (spec.default !== undefined) return parseDuration(spec.default);
        return spec.required ? issue(expected, { problem: 'required field' }) : undefined;
      }
      if (typeof value === 'number') {
        return issue(expected, { hint: `a bare number has no unit; write "${value}s" or "${value}ms"` });
      }
      if (typeof value !== 'string') return issue(expected);
      let ms: number;
      try {
        ms = parseDuration(value);
      } catch (err) {
        if (err instanceof DurationError) return issue(expected);
        throw err;
      }
      if ((spec.min !== undefined && ms < spec.min) || ms > max) {
        return issue(expected, spec.minWhy && spec.min !== undefined && ms < spec.min ? { hint: spec.minWhy } : {});
      }
      return ms;
    }
    case 'noneOr': {
      const none = spec.noneAs === undefined ? null : spec.noneAs;
      if (value === 'none') return none;
      if (value === undefined && spec.defaultNone) return none;
      const inner: RawIssue[] = [];
      const out = resolveSpec(spec.spec, value, path, inner);
      for (const i of inner) {
        // Only the issue about this very value gains the "none" alternative; nested ones are specific.
        if (i.path.length === path.length) i.expected = `"none" or ${i.expected}`;
        issues.push(i);
      }
      return out;
    }
  }
}

/** A field the lab cannot vary: its default, or one issue saying why another value is refused. */
function resolveFixed(spec: Spec, raw: unknown, path: PathSeg[], issues: RawIssue[]): unknown {
  const { fixed, ...open } = spec;
  const def = resolveSpec(open as Spec, undefined, path, []);
  const got = resolveSpec(open as Spec, raw, path, issues);
  if (raw !== null && raw !== undefined && got !== undefined && JSON.stringify(got) !== JSON.stringify(def)) {
    issues.push({ path, value: raw, expected: `${'default' in spec ? String(spec.default) : 'the default'} (the only value the lab implements)`, problem: fixed! });
  }
  return def;
}

function rangeText(min: number | undefined, max: number | undefined, exclusiveMin: boolean, duration = false): string {
  const f = (n: number) => (duration ? formatGoDuration(n) : String(n));
  const parts: string[] = [];
  if (min !== undefined && (min > 0 || exclusiveMin || !duration)) parts.push(`${exclusiveMin ? '>' : '>='} ${f(min)}`);
  if (max !== undefined) parts.push(`<= ${f(max)}`);
  return parts.length ? ` ${parts.join(' and ')}` : '';
}

let ALL_PATHS: string[] | undefined;

function unknownField(key: string, parent: PathSeg[], siblings: string[]): RawIssue {
  const path = [...parent, key];
  const expected = `one of the known fields ${siblings.join(', ')}`;
  if (key.startsWith('$')) {
    return { path, expected: '$append (the only merge directive), applied to a list', problem: 'unknown merge directive' };
  }
  const near = closest(key, siblings);
  if (near) return { path, expected, problem: 'unknown field', hint: `did you mean "${near}"?` };
  // Right name, wrong place: e.g. `replicas` written under `cluster` instead of `workload`.
  const elsewhere = (ALL_PATHS ??= allFieldPaths()).filter((p) => {
    const last = p.slice(p.lastIndexOf('.') + 1);
    return last.toLowerCase() === key.toLowerCase() || closest(key, [last]) === last;
  });
  const hint = elsewhere.length ? `did you mean ${elsewhere.map((p) => `"${p}"`).join(' or ')}?` : undefined;
  return { path, expected, problem: 'unknown field', ...(hint ? { hint } : {}) };
}
