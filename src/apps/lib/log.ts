// Diagnostics go to stderr as JSON lines: stdout belongs to the app's own log lines (the dev-env app's
// stdout is what the shippers ship). The one other writer there is the shipper's retry log
// (pipeline/retry-log.ts), which is meant to be seen by the container runtime.

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, unknown>;

const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

export interface LoggerOptions {
  level?: Level;
  write?: (line: string) => void;
  now?: () => number;
}

export function createLogger(app: string, opts: LoggerOptions = {}, base: Fields = {}): Logger {
  const min = rank[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const now = opts.now ?? Date.now;
  const emit = (level: Level, msg: string, fields?: Fields): void => {
    if (rank[level] < min) return;
    const entry = { ts: new Date(now()).toISOString(), level, app, msg, ...base, ...fields };
    write(JSON.stringify(entry, errorReplacer) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(app, opts, { ...base, ...fields }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * Lets through one message per key and interval and counts the rest: a shipper retrying in a tight loop
 * against a dead Kafka would otherwise spend its CPU writing the same error to stderr, which would then
 * flow through the same container runtime the lab is measuring.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  /** Returns the number of suppressed repeats to report, or undefined if this one must be suppressed. */
  pass(key: string): number | undefined {
    const t = this.now();
    const s = this.last.get(key);
    if (s && t - s.at < this.intervalMs) {
      s.suppressed++;
      return undefined;
    }
    const suppressed = s?.suppressed ?? 0;
    this.last.set(key, { at: t, suppressed: 0 });
    return suppressed;
  }
}
