// The seam between a fault and the machinery that acts on the nodes. A fault (kafka-network.ts,
// gossip-encryption.ts) says WHAT to change on a node in these terms; a driver says HOW it gets there.
// node-exec (`docker exec` into the kind node containers, drivers/node-exec.ts) is the default; agent (a
// DaemonSet taking orders through a Lease, drivers/agent.ts) is chosen by a cut's params (`via`). The
// journal and the runner never pick a driver: they hand the fault a FaultContext and the fault asks it
// for the driver its params name.
//
// Contract every driver keeps: a method either does what it says and resolves, or rejects. It never
// resolves with a guess: "could not read the rules" must reject, not return an empty list, because the
// heal's verification (heal fails closed) reads an empty list as "nothing left in effect".

/** Where a TCP probe went and whether it connected. */
export interface TcpProbeResult {
  connected: boolean;
  /** Which network namespace the probe ran in, for messages: a pod's (e.g. `pod netns cni-1234`) or the node's own. */
  from: string;
}

export interface TcpTarget {
  host: string;
  port: number;
}

export interface FaultDriver {
  /** For messages and the journal: which driver acted. */
  readonly name: string;
  /** The nodes of a lab cluster (by kind's cluster label), empty when the cluster does not exist. */
  nodesOf(cluster: string): Promise<string[]>;
  /** The node's filter-table rules as `iptables -S` lines. Rejects when they could not be read. */
  listRules(node: string): Promise<string[]>;
  /** Whether this exact rule (the arguments after -I/-D, chain first) is in place. Rejects when unknown. */
  hasRule(node: string, rule: readonly string[]): Promise<boolean>;
  insertRule(node: string, rule: readonly string[]): Promise<void>;
  deleteRule(node: string, rule: readonly string[]): Promise<void>;
  /**
   * Opens a TCP connection to `target` from a pod's network namespace on the node (the path a pod's
   * packets take, through FORWARD), or from the node's own when no pod runs there. Resolves with whether
   * it connected; rejects when the probe itself could not run.
   */
  tcpProbe(node: string, target: TcpTarget, timeoutMs: number): Promise<TcpProbeResult>;
  /** Removes the files matching a shell glob; resolves with how many still match afterwards. */
  removeFiles(node: string, glob: string): Promise<number>;
}

/** What a fault needs besides its own params: the driver, and where the lab is when the journal forgot. */
export interface FaultContext {
  /** The default driver, and the one a heal without params uses. */
  driver: FaultDriver;
  /**
   * The driver a fault's params ask for (the Kafka cut's `via`), so that the journal and the runner never
   * need to know which one ran. Absent: `driver` for every fault.
   */
  driverFor?(params: Record<string, unknown>): FaultDriver;
  /** Names of the lab's clusters (those that may exist): where a params-less heal looks for nodes. */
  labClusters(): string[];
  /** Where a pod reaches Kafka now, for a heal whose journal line lost its own probe address. */
  kafkaProbe(): Promise<TcpTarget | undefined>;
  /** Delay between retries of a probe (tests make it short). */
  retryDelayMs?: number;
}

/** The driver for a fault with these params under this context. */
export function driverOf(ctx: FaultContext, params: Record<string, unknown>): FaultDriver {
  return ctx.driverFor?.(params) ?? ctx.driver;
}
