// The status endpoint every program exposes: the lab's recorder polls /stats, Prometheus-style scrapers
// (our metrics agent) read /metrics, kubelet probes /healthz.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from './metrics.ts';
import type { Logger } from './log.ts';

export type Handler = (req: IncomingMessage, url: URL, res: ServerResponse) => void;

export interface StatusServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  /** Extra non-numeric state for /stats (last error, reachability...). */
  details?: () => Record<string, unknown>;
  healthy?: () => boolean;
  /** Additional routes, keyed by `METHOD /path`. */
  routes?: Record<string, Handler>;
  /** Called for every request, for programs that count their requests. */
  onRequest?: (path: string) => void;
  log: Logger;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function startStatusServer(opts: StatusServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    opts.onRequest?.(url.pathname);
    const route = opts.routes?.[`${req.method} ${url.pathname}`];
    try {
      if (route) return route(req, url, res);
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed\n');
      switch (url.pathname) {
        case '/stats':
          return sendJson(res, 200, { ...opts.registry.infoLabels(), ...opts.registry.values(), ...opts.details?.() });
        case '/metrics':
          return sendText(res, 200, opts.registry.toPrometheus(), 'text/plain; version=0.0.4; charset=utf-8');
        case '/healthz': {
          const ok = opts.healthy?.() ?? true;
          return sendText(res, ok ? 200 : 503, ok ? 'ok\n' : 'unhealthy\n');
        }
        default:
          return sendText(res, 404, 'not found\n');
      }
    } catch (e) {
      opts.log.error('status request failed', { path: url.pathname, error: e });
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
    }
  });
  // Keep-alive scrapers from the recorder must not pin sockets forever when the program exits.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
