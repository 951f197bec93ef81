import { createServer } from 'node:net';
import { LabError } from '../util/errors.ts';

export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** Checks the lab's loopback ports before anything starts, naming the port and the setting that moves it. */
export async function requirePortsFree(ports: Record<string, number>, note = ''): Promise<void> {
  for (const [setting, port] of Object.entries(ports)) {
    if (!(await portFree(port))) {
      throw new LabError(
        `port ${port} on 127.0.0.1 is in use (the lab wants it, setting ${setting}${note})`,
        `stop whatever listens there (\`ss -ltnp 'sport = :${port}'\`) or choose another port with ${setting}=<port>`,
      );
    }
  }
}
