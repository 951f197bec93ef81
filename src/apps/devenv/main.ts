// The dev-env app: writes JSON log lines to stdout at LOG_RATE lines/s, so they travel the node's
// real log path (container runtime shim -> CRI log file -> kubelet), and serves a few endpoints.
import { envInt, envNumber, envString } from '../lib/env.ts';
import { sendJson, startStatusServer } from '../lib/http.ts';
import { createLogger } from '../lib/log.ts';
import { Registry } from '../lib/metrics.ts';
import { onShutdown, runMain } from '../lib/process.ts';
import { formatLine } from './line.ts';
import { Pacer } from './pacer.ts';

const log = createLogger('devenv');

runMain(log, async () => {
  const env = process.env;
  const pod = envString(env, 'POD_NAME', 'devenv');
  const port = envInt(env, 'APP_PORT', 8080);
  let lineBytes = envInt(env, 'LOG_LINE_BYTES', 200, 1);
  const tickMs = envInt(env, 'LOG_TICK_MS', 50, 1);
  const pacer = new Pacer(envNumber(env, 'LOG_RATE', 10, { min: 0 }), Date.now(), envInt(env, 'LOG_MAX_BURST_LINES', 5_000, 1));
  const started = Date.now();
  let seq = 0;
  let bytes = 0;
  let requests = 0;
  let writeMs = 0;

  const tick = (): void => {
    const now = Date.now();
    const n = pacer.due(now);
    if (n === 0) return;
    const lines: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) lines[i] = formatLine(pod, ++seq, now, lineBytes);
    const chunk = lines.join('\n') + '\n';
    // stdout to a pipe is synchronous on Linux: time spent here is time the runtime made us wait.
    const t0 = performance.now();
    process.stdout.write(chunk);
    writeMs += performance.now() - t0;
    pacer.wrote(n);
    bytes += Buffer.byteLength(chunk);
  };
  const timer = setInterval(tick, tickMs);

  const registry = new Registry('devenv');
  registry.setInfo({ pod });
  registry.counter('http_requests_total', 'HTTP requests served.', () => requests);
  registry.counter('log_lines_total', 'Log lines written to stdout.', () => pacer.linesWritten);
  registry.counter('log_bytes_total', 'Log bytes written to stdout.', () => bytes);
  registry.gauge('log_rate', 'Configured lines per second.', () => pacer.rate);
  registry.gauge('log_lines_behind', 'Lines the schedule expects but not yet written (stdout back-pressure or CPU starvation).', () => pacer.behind(Date.now()));
  registry.counter('stdout_write_seconds_total', 'Time spent blocked in stdout writes.', () => writeMs / 1000);
  registry.gauge('uptime_seconds', 'Seconds since start.', () => (Date.now() - started) / 1000);

  const server = await startStatusServer({
    port,
    registry,
    log,
    onRequest: () => requests++,
    routes: {
      'GET /': (_req, _url, res) => sendJson(res, 200, { pod, seq }),
      // Scenarios change the flood rate of running pods without restarting them (which would reset seq).
      'POST /rate': (_req, url, res) => {
        const rate = Number(url.searchParams.get('lines_per_sec') ?? NaN);
        const size = url.searchParams.get('line_bytes');
        if (!Number.isFinite(rate) || rate < 0) return sendJson(res, 400, { error: 'lines_per_sec must be a number >= 0' });
        if (size !== null) {
          const b = Number(size);
          if (!Number.isInteger(b) || b < 1) return sendJson(res, 400, { error: 'line_bytes must be an integer >= 1' });
          lineBytes = b;
        }
        pacer.setRate(rate, Date.now());
        log.info('rate changed', { rate, lineBytes });
        sendJson(res, 200, { rate, lineBytes });
      },
    },
  });
  log.info('devenv started', { pod, port, rate: pacer.rate, lineBytes });
  onShutdown(log, async () => {
    clearInterval(timer);
    await new Promise<void>((r) => server.close(() => r()));
  });
});
