// What the samplers that ask every kubelet in turn (summary CPU, PLEG metrics) share: the node list, kept
// for a while so a sweep does not list nodes each time, and per-node gaps: a gap opens at a node's first
// failed read and closes at its next good one, so one flaky node never blinds the others' records.
import type * as k8s from '@kubernetes/client-node';
import type { RecordInput, RecordType } from '../history/records.ts';

/** Long enough to spare the API server a list per sweep, short enough to see a node join within a sweep or two. */
const NODE_LIST_TTL_MS = 30_000;

export class NodeNames {
  #nodes: string[] = [];
  #listedAt = 0;

  /** `fixed`: node names given by a test; otherwise the cluster's nodes, listed every 30 s. */
  constructor(
    private readonly core: Pick<k8s.CoreV1Api, 'listNode'>,
    private readonly fixed?: readonly string[],
  ) {}

  async get(): Promise<string[]> {
    if (this.fixed) return [...this.fixed];
    if (Date.now() - this.#listedAt > NODE_LIST_TTL_MS) {
      const list = await this.core.listNode();
      this.#nodes = list.items.map((n) => n.metadata?.name).filter((n): n is string => !!n).sort();
      this.#listedAt = Date.now();
    }
    return this.#nodes;
  }
}

export class NodeGaps {
  readonly #failing = new Map<string, string>();

  constructor(
    private readonly source: string,
    private readonly affects: RecordType[],
    private readonly emit: (r: RecordInput) => void,
  ) {}

  open(node: string, error: string): void {
    if (this.#failing.has(node)) return;
    const from = new Date().toISOString();
    this.#failing.set(node, from);
    this.emit({ type: 'gap', source: this.source, from, reason: 'sampler-error', affects: this.affects, node, error });
  }

  close(node: string): void {
    const from = this.#failing.get(node);
    if (!from) return;
    this.#failing.delete(node);
    this.emit({ type: 'gap', source: this.source, from, to: new Date().toISOString(), reason: 'sampler-error', affects: this.affects, node });
  }
}
