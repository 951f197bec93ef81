// The JSON Schema of the scenario format, generated from SCENARIO_SPEC (the loader's own definitions), so
// an editor completes and checks the same fields, values and limits the loader does. A new field in
// schema.ts is a new property here with no other change. Cross-field rules (rules.ts) are not expressible
// here and stay with `lab validate`.
import { formatGoDuration } from '../util/duration.ts';
import { MAX_DURATION_MS, SCENARIO_SPEC, type Spec } from './schema.ts';

type Json = Record<string, unknown>;
export type SchemaMode = 'scenario' | 'variant';

// A duration as parseDuration reads it: units largest first, each once ("1h30m", "250ms", "0").
const DURATION_PATTERN = '^(?=.)(0|(\\d+(\\.\\d+)?d)?(\\d+(\\.\\d+)?h)?(\\d+(\\.\\d+)?m(?!s))?(\\d+(\\.\\d+)?s)?(\\d+(\\.\\d+)?ms)?)$';

function describe(spec: Spec, base: string): string {
  const parts = [spec.doc ?? base];
  if (spec.fixed) parts.push(`Only the default is accepted: ${spec.fixed}.`);
  if (spec.kind === 'enum' && spec.withdrawn) for (const [v, why] of Object.entries(spec.withdrawn)) parts.push(`${v}: refused (${why}).`);
  return parts.filter(Boolean).join(' ');
}

function convert(spec: Spec, mode: SchemaMode): Json {
  const out = convertInner(spec, mode);
  // In a variant, `key: ~` resets a field to its default.
  return mode === 'variant' ? { anyOf: [out, { type: 'null' }] } : out;
}

function convertInner(spec: Spec, mode: SchemaMode): Json {
  switch (spec.kind) {
    case 'string': {
      const s: Json = { type: 'string', description: describe(spec, spec.expect ?? '') };
      if (spec.pattern) s.pattern = spec.pattern.source;
      if (spec.fixed && spec.default !== undefined) s.const = spec.default;
      if (spec.default !== undefined) s.default = spec.default;
      return s;
    }
    case 'enum': {
      const s: Json = { enum: [...spec.values], description: describe(spec, `one of ${spec.values.join(' | ')}`) };
      if (spec.default !== undefined) s.default = spec.default;
      return s;
    }
    case 'int':
    case 'number': {
      const s: Json = { type: spec.kind === 'int' ? 'integer' : 'number', description: describe(spec, '') };
      if (spec.min !== undefined) s[spec.kind === 'number' && spec.exclusiveMin ? 'exclusiveMinimum' : 'minimum'] = spec.min;
      if (spec.max !== undefined) s.maximum = spec.max;
      if (spec.default !== undefined) s.default = spec.default;
      if (spec.fixed && spec.default !== undefined) s.const = spec.default;
      return s;
    }
    case 'bool':
      return { type: 'boolean', ...(spec.default !== undefined ? { default: spec.default } : {}), description: describe(spec, '') };
    case 'duration': {
      const range = [spec.min ? `>= ${formatGoDuration(spec.min)}` : '', `<= ${formatGoDuration(spec.max ?? MAX_DURATION_MS)}`].filter(Boolean).join(' and ');
      const s: Json = { type: 'string', pattern: DURATION_PATTERN, description: describe(spec, `a duration like "90s", "3m", "1h30m" or "250ms", ${range}${spec.minWhy ? ` (${spec.minWhy})` : ''}`) };
      if (typeof spec.default === 'string') s.default = spec.default;
      if (spec.fixed && typeof spec.default === 'string') s.const = spec.default;
      return s;
    }
    case 'object': {
      const properties: Json = {};
      for (const [k, s] of Object.entries(spec.fields)) properties[k] = convert(s, mode);
      const required = mode === 'scenario' ? Object.entries(spec.fields).filter(([, s]) => 'required' in s && s.required === true).map(([k]) => k) : [];
      return { type: 'object', properties, additionalProperties: false, ...(required.length ? { required } : {}), ...(spec.doc ? { description: spec.doc } : {}) };
    }
    case 'list': {
      const list: Json = { type: 'array', items: convert(spec.item, 'scenario'), ...(spec.minItems && mode === 'scenario' ? { minItems: spec.minItems } : {}) };
      // A variant may add to a list instead of replacing it.
      if (mode === 'variant') return { anyOf: [list, { type: 'object', properties: { $append: list }, required: ['$append'], additionalProperties: false }] };
      return list;
    }
    case 'noneOr':
      return { anyOf: [{ const: 'none' }, convertInner(spec.spec, mode)], description: describe(spec, `"none" or ${convertInner(spec.spec, mode).description ?? ''}`.trim()) };
  }
}

/** The schema for scenario files (`scenario`) or variant files (`variant`: nothing required, `about:`, `$append`, `~`). */
export function scenarioJsonSchema(mode: SchemaMode): Json {
  const root = convertInner(SCENARIO_SPEC, mode) as { properties: Json };
  if (mode === 'variant') root.properties = { about: { type: 'string', description: 'one line shown by `lab variants`' }, ...root.properties };
  return {
    $schema: 'https://json-schema.org/draft-07/schema#',
    $comment: 'Generated from src/scenario/schema.ts by `npm run schema`; do not edit by hand.',
    title: mode === 'scenario' ? 'outage-lab scenario' : 'outage-lab variant',
    ...root,
  };
}

/** File name under lab/ of each shipped schema, and the text written there. */
export const SCHEMA_FILES: Record<SchemaMode, string> = { scenario: 'scenario.schema.json', variant: 'variant.schema.json' };

export function schemaText(mode: SchemaMode): string {
  return `${JSON.stringify(scenarioJsonSchema(mode), null, 2)}\n`;
}
