// HTTP to the node's Docker daemon over its unix socket, with node:http alone. Every call is bounded:
// a saturated dockerd is exactly what the lab provokes, and a discovery round or a reconnect waiting on
// it forever would stop the shipper for good. Each call gets its own connection (no agent), so one
// stuck request never holds up another.
import { request, type IncomingMessage } from 'node:http';

export interface DockerClientOptions {
  socketPath: string;
  /** Bound on a whole JSON call, and on a stream until its response headers arrive. */
  timeoutMs: number;
}

export class DockerApiError extends Error {
  override readonly name = 'DockerApiError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A follow stream: the body is read by the caller, at its own pace (that is the backpressure). */
export interface DockerStreamResponse {
  body: IncomingMessage;
  contentType: string | undefined;
  apiVersion: string | undefined;
  close(): void;
}

/** Docker's error bodies are {"message": "..."}; anything else is kept short. */
function errorText(status: number, body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof m === 'string') return `HTTP ${status}: ${m}`;
  } catch {
    // not JSON
  }
  return `HTTP ${status}: ${body.slice(0, 200).trim()}`;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export class DockerClient {
  constructor(readonly opts: DockerClientOptions) {}

  /** GET a JSON document; rejects on a non-2xx status (DockerApiError), a socket error or the time bound. */
  getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const req = request({ socketPath: this.opts.socketPath, path, method: 'GET', agent: false, ...(signal ? { signal } : {}) });
      const timer = setTimeout(() => req.destroy(new Error(`docker GET ${path} timed out after ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      const fail = (e: Error): void => {
        clearTimeout(timer);
        reject(e);
      };
      req.on('error', fail);
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY_BYTES) req.destroy(new Error(`docker GET ${path}: answer over ${MAX_BODY_BYTES} bytes`));
          else parts.push(c);
        });
        res.on('error', fail);
        // A connection cut mid-answer ends without 'end' (and, depending on where, without 'error').
        res.on('close', () => {
          if (!res.complete) fail(new Error(`docker GET ${path}: connection closed mid-answer`));
        });
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(parts).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) return reject(new DockerApiError(status, errorText(status, text)));
          try {
            resolve(JSON.parse(text) as T);
          } catch (e) {
            reject(new Error(`docker GET ${path}: answer is not JSON (${(e as Error).message})`));
          }
        });
      });
      req.end();
    });
  }

  /** Opens a streaming GET; resolves once a 200 arrives (the time bound covers only that far). */
  openStream(path: string, signal?: AbortSignal): Promise<DockerStreamResponse> {
    return new Promise<DockerStreamResponse>((resolve, reject) => {
      const req = request({ socketPath: this.opts.socketPath, path, method: 'GET', agent: false, ...(signal ? { signal } : {}) });
      const timer = setTimeout(() => req.destroy(new Error(`docker GET ${path} gave no answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status === 200) {
          clearTimeout(timer);
          const header = (name: string): string | undefined => {
            const v = res.headers[name];
            return Array.isArray(v) ? v[0] : v;
          };
          resolve({ body: res, contentType: header('content-type'), apiVersion: header('api-version'), close: () => req.destroy() });
          return;
        }
        // An error answer is short; the timer still bounds reading it.
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('error', () => undefined);
        res.on('end', () => {
          clearTimeout(timer);
          reject(new DockerApiError(status, errorText(status, Buffer.concat(parts).toString('utf8'))));
        });
      });
      req.end();
    });
  }
}
