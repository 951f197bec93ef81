// Tokens, unseal keys and gossip keys travel as `Secret` so that every generic way of printing a value
// (template strings, JSON, console.log, util.inspect, error messages) shows `[redacted]`. Reading the
// value takes a deliberate `reveal()`, which is easy to grep for.
import { inspect } from 'node:util';

export const REDACTED = '[redacted]';

// Too-short values would redact ordinary words and digits all over log lines.
const MIN_REGISTERED_LENGTH = 4;

const registry = new Set<string>();

export class Secret {
  // A private field, not a property: Object.keys, spread, JSON and structuredClone cannot see it.
  readonly #value: string;
  readonly label: string;

  constructor(value: string, label = 'secret') {
    if (typeof value !== 'string') throw new TypeError('Secret value must be a string');
    this.#value = value;
    this.label = label;
    registerSecret(value);
  }

  reveal(): string {
    return this.#value;
  }

  /** Compare without revealing into a variable that might be logged. */
  equals(other: Secret | string): boolean {
    return this.#value === (other instanceof Secret ? other.reveal() : other);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  static isSecret(value: unknown): value is Secret {
    return value instanceof Secret;
  }
}

/**
 * Remember a secret value process-wide so `redactText` can strip it from free text we did not build
 * ourselves (stdout of kubectl, consul, vault). Constructing a `Secret` registers it already.
 */
export function registerSecret(value: string | Secret): void {
  const v = value instanceof Secret ? value.reveal() : value;
  if (v.length >= MIN_REGISTERED_LENGTH) registry.add(v);
}

/** Only for tests: secrets otherwise live as long as the process. */
export function clearRegisteredSecrets(): void {
  registry.clear();
}

export function registeredSecretCount(): number {
  return registry.size;
}

/**
 * Replace every occurrence of a known secret value in `text` by `[redacted]`. Uses the process-wide
 * registry plus any `extra` values. Longest first, so a secret containing another is removed whole.
 */
export function redactText(text: string, extra: ReadonlyArray<string | Secret> = []): string {
  if (text === '') return text;
  const values = new Set(registry);
  for (const e of extra) {
    const v = e instanceof Secret ? e.reveal() : e;
    if (v.length > 0) values.add(v);
  }
  if (values.size === 0) return text;
  const sorted = [...values].sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of sorted) {
    if (out.includes(v)) out = out.split(v).join(REDACTED);
    // JSON-escaped forms appear when a secret went through JSON.stringify as a plain string.
    const escaped = JSON.stringify(v).slice(1, -1);
    if (escaped !== v && out.includes(escaped)) out = out.split(escaped).join(REDACTED);
  }
  return out;
}

/** True when `value` (deeply) contains a `Secret`; the history writer refuses such records. */
export function containsSecret(value: unknown, seen = new Set<object>()): boolean {
  if (value instanceof Secret) return true;
  if (value === null || typeof value !== 'object') return false;
  if (seen.has(value)) return false;
  seen.add(value);
  for (const v of Array.isArray(value) ? value : Object.values(value)) {
    if (containsSecret(v, seen)) return true;
  }
  return false;
}
