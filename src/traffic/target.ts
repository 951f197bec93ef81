// The load generator aims only at loopback or at addresses the caller read from the lab's own Docker
// networks: a typo in a scenario must not send traffic anywhere else.
import { isIP } from 'node:net';
import { LabError } from '../util/errors.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function assertLabTarget(url: URL, labAddresses: readonly string[] = []): void {
  if (url.protocol !== 'http:') throw new LabError(`load generator target ${url.href}: only http: is allowed`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (LOOPBACK.test(host)) return;
  if (isIP(host) && labAddresses.includes(host)) return;
  throw new LabError(
    `load generator target ${url.host} is neither loopback nor an address on one of the lab's networks`,
    'aim it at the LB\'s published loopback port or its address on the lab network',
  );
}
