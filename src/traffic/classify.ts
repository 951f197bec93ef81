// Sorts one request's outcome into what the user felt. The LB tells its own errors from the app's (the
// X-LB-From-Server header is set only on responses a server sent) and names the server it tried
// (X-LB-Server, empty when it found none), so a 503 of a stale config (a dead server still listed) is
// told apart from a 503 of an empty one.
import type { TrafficErrorClass } from '../history/records.ts';

export type Outcome =
  | { kind: 'response'; status: number; fromServer: boolean; lbServer: string }
  | { kind: 'error'; code: string };

export type Verdict = 'ok' | TrafficErrorClass;

export const TIMEOUT_CODE = 'LAB_TIMEOUT';

export function classify(o: Outcome): Verdict {
  if (o.kind === 'error') {
    if (o.code === 'ECONNREFUSED') return 'refused';
    if (o.code === TIMEOUT_CODE || o.code === 'ETIMEDOUT') return 'timeout';
    return 'other';
  }
  if (o.status >= 200 && o.status < 400) return o.fromServer ? 'ok' : 'other';
  if (o.status >= 500) {
    if (o.fromServer) return 'http-5xx';
    // HAProxy's own 502/503/504 after it picked a server: the server was listed but did not answer.
    return o.lbServer.trim() !== '' ? 'dead-backend' : 'no-backend';
  }
  return 'other';
}
