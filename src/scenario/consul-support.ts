// What the lab's Consul agent accepts, known without running it: `lab validate` and `lab matrix --plan`
// need no Docker. The replay still asks the real binary (`consul validate`, consul-config-check.ts) before
// it deploys agents; a unit test keeps this table and the image's version in step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../util/paths.ts';

/**
 * Agent configuration keys each Consul version the lab can build refuses, as `consul validate` words it
 * ("invalid config key X"). One entry per version: a helper adding a Consul version adds one line.
 */
export const CONSUL_REFUSED_KEYS: Readonly<Record<string, readonly string[]>> = {
  // advertise_reconnect_timeout arrived in Consul 1.9.
  '1.8.7': ['advertise_reconnect_timeout'],
};

/** The version of the Consul image the lab builds (lab/images/consul/image.json). */
export function labConsulVersion(): string {
  return (JSON.parse(readFileSync(join(repoRoot, 'lab', 'images', 'consul', 'image.json'), 'utf8')) as { version: string }).version;
}

/**
 * Why `version` cannot run agents with `config` (keys named with the scenario fields that set them), or
 * null when it can, or undefined when the table does not know that version (then only the replay's
 * `consul validate` can tell).
 */
export function staticConsulRefusal(version: string, config: Record<string, unknown>, fields: readonly string[]): string | null | undefined {
  const refused = CONSUL_REFUSED_KEYS[version];
  if (!refused) return undefined;
  const keys = Object.keys(config).filter((k) => refused.includes(k));
  if (keys.length === 0) return null;
  return `${fields.join(', ')}: Consul ${version}, the lab's agent, refuses it (invalid config key ${keys.join(', ')})`;
}
