// Shared program lifecycle: a clean stop on SIGTERM (kubelet's pod deletion) and a loud exit on a
// configuration error, so a bad manifest shows up as CrashLoopBackOff with the reason in the log.
import { EnvError } from './env.ts';
import { errorMessage, type Logger } from './log.ts';

export function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    stop()
      .then(() => process.exit(0))
      .catch((e: unknown) => {
        log.error('stop failed', { error: errorMessage(e) });
        process.exit(1);
      });
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

export function runMain(log: Logger, main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    log.error(e instanceof EnvError ? 'bad configuration' : 'fatal', { error: errorMessage(e) });
    process.exit(e instanceof EnvError ? 2 : 1);
  });
}
