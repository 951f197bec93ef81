// "Does traffic to Kafka flow from this node's pods?", asked the way a pod's packets go: from the first pod
// network namespace that has an interface (a dying pod's may not), through FORWARD, else from the node's
// own, through OUTPUT. One script for every driver: node-exec runs it in the kind node (root /run), the
// fault agent in its pod with the host's /run mounted. containerd's CNI names the namespaces
// <root>/netns/cni-<id>; under dockershim they are dockerd's <root>/docker/netns ("default" there is the
// node's own). bash's /dev/tcp opens a plain TCP connection; `timeout` bounds a connect into a DROP rule.
// Arguments: host, port, seconds, root. Prints one line: "connected|blocked <where>".
export const POD_TCP_PROBE = `
root=$4
for f in "$root"/netns/cni-* "$root"/docker/netns/*; do
  [ -e "$f" ] && [ "\${f##*/}" != default ] || continue
  nsenter --net="$f" ip -o link show eth0 >/dev/null 2>&1 || continue
  if nsenter --net="$f" timeout "$3" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; then echo "connected pod netns \${f##*/}"; else echo "blocked pod netns \${f##*/}"; fi
  exit 0
done
if timeout "$3" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; then echo "connected node netns"; else echo "blocked node netns"; fi`;

/** The probe's verdict from its output, or null when it printed none (it could not run). */
export function probeVerdict(out: string): { connected: boolean; from: string } | null {
  const m = /^(connected|blocked) (.+)$/m.exec(out);
  return m ? { connected: m[1] === 'connected', from: m[2]!.trim() } : null;
}

/** Whole seconds for `timeout`, at least one. */
export const probeSeconds = (timeoutMs: number): string => String(Math.max(1, Math.ceil(timeoutMs / 1000)));
