import { createLogger } from '../lib/log.ts';
import { onShutdown, runMain } from '../lib/process.ts';
import { shipperConfig } from './config.ts';
import { startShipper } from './shipper.ts';

const boot = createLogger('shipper', { level: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'info' });
runMain(boot, async () => {
  const cfg = shipperConfig(process.env);
  const log = createLogger('shipper', { level: cfg.logLevel }, { pod: cfg.podName });
  const shipper = await startShipper(cfg, log);
  onShutdown(log, () => shipper.stop());
});
