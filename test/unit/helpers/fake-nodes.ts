// A fault driver over in-memory nodes: pure logic for the runner's and the flap driver's unit tests. Each
// node holds an iptables rule list; a TCP probe to an address connects unless a DROP rule for it is in
// place. Nodes can be made unreachable (every call rejects, as a failed `docker exec` does), probes can be
// made to fail, and every change is logged with its time.
import type { FaultContext, FaultDriver, TcpProbeResult, TcpTarget } from '../../../src/faults/driver.ts';

export class FakeNodes implements FaultDriver {
  readonly name = 'fake';
  readonly rules = new Map<string, string[][]>();
  readonly files = new Map<string, Set<string>>();
  /** Nodes where every call rejects. */
  readonly unreachable = new Set<string>();
  /** Nodes whose deleteRule resolves without deleting (a heal that "succeeds" but leaves the rule). */
  readonly stickyRules = new Set<string>();
  /** Addresses no probe connects to (e.g. the broker is down), whatever the rules say. */
  readonly deadTargets = new Set<string>();
  /** Called before each insert; throw from it to fail an inject. */
  beforeInsert: (node: string, rule: readonly string[]) => void = () => {};
  /** Each operation waits this long first (docker exec is not instantaneous). */
  delayMs = 0;
  readonly log: { at: number; op: string; node: string }[] = [];

  constructor(readonly clusters: Record<string, string[]> = {}) {
    for (const nodes of Object.values(clusters)) for (const n of nodes) this.rules.set(n, []);
  }

  async #enter(node: string, op: string): Promise<string[][]> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.unreachable.has(node) || !this.rules.has(node)) throw new Error(`docker exec ${node} failed (No such container: ${node})`);
    this.log.push({ at: Date.now(), op, node });
    return this.rules.get(node)!;
  }

  async nodesOf(cluster: string): Promise<string[]> {
    if (this.unreachable.has(`cluster:${cluster}`)) throw new Error('docker ps failed');
    return [...(this.clusters[cluster] ?? [])];
  }

  async listRules(node: string): Promise<string[]> {
    return (await this.#enter(node, 'list')).map((r) => `-A ${r.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}`);
  }

  async hasRule(node: string, rule: readonly string[]): Promise<boolean> {
    return (await this.#enter(node, 'check')).some((r) => r.join(' ') === rule.join(' '));
  }

  async insertRule(node: string, rule: readonly string[]): Promise<void> {
    const rules = await this.#enter(node, 'insert');
    this.beforeInsert(node, rule);
    rules.unshift([...rule]);
  }

  async deleteRule(node: string, rule: readonly string[]): Promise<void> {
    const rules = await this.#enter(node, 'delete');
    if (this.stickyRules.has(node)) return;
    const i = rules.findIndex((r) => r.join(' ') === rule.join(' '));
    if (i < 0) throw new Error('iptables: Bad rule (does a matching rule exist in that chain?)');
    rules.splice(i, 1);
  }

  async tcpProbe(node: string, target: TcpTarget): Promise<TcpProbeResult> {
    const rules = await this.#enter(node, 'probe');
    const dropped = rules.some((r) => r.includes(`${target.host}/32`) && r.includes('DROP'));
    return { connected: !dropped && !this.deadTargets.has(target.host), from: 'pod netns fake' };
  }

  async removeFiles(node: string, glob: string): Promise<number> {
    await this.#enter(node, 'rm');
    this.files.get(node)?.delete(glob);
    return 0;
  }

  /** The rules on a node, each as one string. */
  on(node: string): string[] {
    return (this.rules.get(node) ?? []).map((r) => r.join(' '));
  }

  context(kafkaProbe?: TcpTarget): FaultContext {
    return { driver: this, labClusters: () => Object.keys(this.clusters), kafkaProbe: async () => kafkaProbe, retryDelayMs: 1 };
  }
}
