// Readiness checks for a container that was just started. Each is polled until it passes or its time is
// up; a container that exits while we wait fails at once instead of running the clock out.
import { LabError } from '../util/errors.ts';
import { docker } from './cli.ts';

export type WaitStrategy =
  /** A regular expression matched against the combined stdout and stderr; `times` occurrences needed. */
  | { kind: 'log'; pattern: RegExp; times?: number }
  /** An HTTP GET to a published port on 127.0.0.1; by default any 2xx counts. */
  | { kind: 'http'; port: number; path: string; accept?: (status: number, body: string) => boolean }
  /** A command run inside the container with `docker exec`; exit 0 counts. */
  | { kind: 'command'; command: string[] }
  | { kind: 'all'; strategies: WaitStrategy[] };

export const forLog = (pattern: RegExp, times = 1): WaitStrategy => ({ kind: 'log', pattern, times });
export const forHttp = (port: number, path: string, accept?: (status: number, body: string) => boolean): WaitStrategy => ({
  kind: 'http',
  port,
  path,
  ...(accept ? { accept } : {}),
});
export const forCommand = (...command: string[]): WaitStrategy => ({ kind: 'command', command });
export const forAll = (...strategies: WaitStrategy[]): WaitStrategy => ({ kind: 'all', strategies });

/** What a wait strategy needs to know about the container it watches. */
export interface Watched {
  readonly name: string;
  hostPort(containerPort: number): number;
  logs(tail?: number): Promise<string>;
}

const POLL_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describe(s: WaitStrategy): string {
  switch (s.kind) {
    case 'log':
      return `log line ${s.pattern}${(s.times ?? 1) > 1 ? ` ×${s.times}` : ''}`;
    case 'http':
      return `HTTP GET :${s.port}${s.path}`;
    case 'command':
      return `command \`${s.command.join(' ')}\``;
    case 'all':
      return s.strategies.map(describe).join(' and ');
  }
}

async function passes(c: Watched, s: WaitStrategy): Promise<boolean> {
  switch (s.kind) {
    case 'log': {
      const re = new RegExp(s.pattern.source, s.pattern.flags.includes('g') ? s.pattern.flags : `${s.pattern.flags}g`);
      return ((await c.logs()).match(re)?.length ?? 0) >= (s.times ?? 1);
    }
    case 'http': {
      try {
        const res = await fetch(`http://127.0.0.1:${c.hostPort(s.port)}${s.path}`, { signal: AbortSignal.timeout(2000) });
        const body = await res.text();
        return s.accept ? s.accept(res.status, body) : res.status >= 200 && res.status < 300;
      } catch {
        return false;
      }
    }
    case 'command':
      return (await docker(['exec', c.name, ...s.command], { allowFailure: true, timeoutMs: 30_000 })).code === 0;
    case 'all': {
      for (const sub of s.strategies) if (!(await passes(c, sub))) return false;
      return true;
    }
  }
}

async function state(name: string): Promise<string> {
  const r = await docker(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', name], { allowFailure: true });
  return r.code === 0 ? r.stdout.trim() : 'missing';
}

export async function waitFor(c: Watched, strategy: WaitStrategy, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await passes(c, strategy)) return;
    const st = await state(c.name);
    const dead = !st.startsWith('running');
    if (dead || Date.now() >= deadline) {
      const logs = await c.logs(40).catch(() => '(no logs)');
      throw new LabError(
        dead
          ? `container ${c.name} stopped (${st}) while waiting for ${describe(strategy)}`
          : `container ${c.name} was not ready within ${timeoutMs / 1000} s (waited for ${describe(strategy)})`,
        `inspect it with: docker logs ${c.name}`,
        `last log lines:\n${logs.trimEnd()}`,
      );
    }
    await sleep(POLL_MS);
  }
}

/**
 * Polls `probe` until it returns something other than undefined/false, and returns that. On timeout the
 * error names what was awaited and the last thing the probe said, which is usually the diagnosis.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  intervalMs = POLL_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'nothing yet';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = String(v);
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) throw new LabError(`timed out after ${timeoutMs / 1000} s waiting for ${what}`, undefined, `last probe: ${last}`);
    await sleep(intervalMs);
  }
}
