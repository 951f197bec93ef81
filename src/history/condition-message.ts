// A kubelet's condition messages carry live numbers ("pleg was last seen active 4m14.2s ago"): the same
// cause reads differently on every status update. Its kind has them stripped, so the recorder writes a
// node record when the cause changes rather than at every heartbeat, and the analysis can count runs per
// cause.

const DURATION = /\b\d+(?:\.\d+)?(?:h|ms|m|s|µs|us|ns)(?:\d+(?:\.\d+)?(?:h|ms|m|s|µs|us|ns))*(?![\w.])/g;

/** The message with durations replaced by "…" and whitespace collapsed. */
export function messageKind(message: string): string {
  return message.replace(DURATION, '…').replace(/\s+/g, ' ').trim();
}

/**
 * Why a node is unhealthy, in the words Kubernetes uses (kubelet's runtime/PLEG checks, the node lifecycle
 * controller). A Ready message can hold several, joined by the kubelet ("container runtime is down,PLEG is
 * not healthy: ...").
 */
export const KNOWN_CAUSES = [
  'PLEG is not healthy',
  'container runtime is down',
  'container runtime network not ready',
  'container runtime status check may not have completed yet',
  'Kubelet stopped posting node status',
  'Kubelet never posted node status',
] as const;

const MAX_OTHER = 160;

/** The known causes a message names, in KNOWN_CAUSES order; a message naming none is its own kind (shortened). */
export function messageCauses(message: string): string[] {
  const lower = message.toLowerCase();
  const known = KNOWN_CAUSES.filter((c) => lower.includes(c.toLowerCase()));
  if (known.length) return [...known];
  const kind = messageKind(message);
  return kind ? [kind.length > MAX_OTHER ? `${kind.slice(0, MAX_OTHER - 1)}…` : kind] : [];
}
