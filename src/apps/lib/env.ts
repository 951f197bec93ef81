// Every program is configured only through its environment (Kubernetes manifests set it); a bad value
// must stop the program at start with the variable's name, not misbehave later in a scenario.

export type Env = Readonly<Record<string, string | undefined>>;

export class EnvError extends Error {
  override readonly name = 'EnvError';
}

function raw(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export function envString(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

export function envOptional(env: Env, name: string): string | undefined {
  return raw(env, name);
}

export function envRequired(env: Env, name: string): string {
  const v = raw(env, name);
  if (v === undefined) throw new EnvError(`${name} is required`);
  return v;
}

export function envNumber(env: Env, name: string, fallback: number, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
  const v = raw(env, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new EnvError(`${name}=${JSON.stringify(v)} is not a number`);
  if (opts.integer && !Number.isInteger(n)) throw new EnvError(`${name}=${v} must be an integer`);
  if (opts.min !== undefined && n < opts.min) throw new EnvError(`${name}=${v} must be >= ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw new EnvError(`${name}=${v} must be <= ${opts.max}`);
  return n;
}

export function envInt(env: Env, name: string, fallback: number, min = 0): number {
  return envNumber(env, name, fallback, { min, integer: true });
}

export function envEnum<const T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const v = raw(env, name);
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new EnvError(`${name}=${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
  }
  return v as T;
}

export function envList(env: Env, name: string, fallback: readonly string[]): string[] {
  const v = raw(env, name);
  if (v === undefined) return [...fallback];
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

export function envBool(env: Env, name: string, fallback: boolean): boolean {
  const v = raw(env, name);
  if (v === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new EnvError(`${name}=${JSON.stringify(v)} is not a boolean`);
}
