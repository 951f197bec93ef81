import type { ResolvedScenario } from '../scenario/index.ts';
import { formatGoDuration } from '../util/duration.ts';
import { consulRefusal } from '../components/consul-config-check.ts';

/**
 * The client agents' settings that come from the scenario rather than the shared ConfigMap, each with the
 * scenario field it comes from, so a Consul that refuses one can be named by the field the user wrote.
 */
export function agentExtraConfig(s: ResolvedScenario): { config: Record<string, unknown>; fields: string[] } {
  const config: Record<string, unknown> = {};
  const fields: string[] = [];
  if (s.consul.advertiseReconnectTimeoutMs !== null) {
    config.advertise_reconnect_timeout = formatGoDuration(s.consul.advertiseReconnectTimeoutMs);
    fields.push('consul.advertiseReconnectTimeout');
  }
  return { config, fields };
}

/**
 * Why the lab's Consul cannot run this scenario's agents, naming the scenario field(s), or null when it can
 * (or when the scenario sets nothing beyond the shared config). Asked of the real binary, not a version table.
 */
export async function agentConfigRefusal(s: ResolvedScenario, consulImage: string): Promise<string | null> {
  const { config, fields } = agentExtraConfig(s);
  if (fields.length === 0) return null;
  const why = await consulRefusal(consulImage, config);
  if (!why) return null;
  const version = consulImage.split(':')[1]?.split('-')[0] ?? consulImage;
  return `${fields.join(', ')}: Consul ${version}, the lab's agent, refuses it (${why})`;
}
