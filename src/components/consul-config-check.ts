import { spawn } from 'node:child_process';

/**
 * Asks the lab's own Consul binary whether it accepts an agent configuration (`consul validate`, in a
 * throwaway container with no network), before a replay deploys agents that would crash-loop on it.
 * Returns the agent's refusal, or null when it accepts. A Consul too old for a setting says so itself:
 * 1.8.7 answers "invalid config key advertise_reconnect_timeout".
 */
export async function consulRefusal(image: string, config: Record<string, unknown>): Promise<string | null> {
  const file = JSON.stringify({ data_dir: '/tmp/consul-data', ...config });
  const script = `mkdir -p /tmp/check && cat > /tmp/check/scenario.json && consul validate /tmp/check`;
  const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const p = spawn('docker', ['run', '--rm', '-i', '--network', 'none', '--entrypoint', 'sh', image, '-c', script]);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out }));
    p.stdin.end(file);
  });
  if (code === 0) return null;
  // "Config validation failed: failed to parse /tmp/check/scenario.json: 1 error occurred: * invalid config key X"
  const why = out.replace(/\s+/g, ' ').replace(/^.*?\d+ errors? occurred:\s*/, '').replace(/^\* /, '').trim();
  return why || `consul validate exited with ${code}`;
}
