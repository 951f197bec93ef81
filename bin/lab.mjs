#!/usr/bin/env node
// The `lab` command: checks the Node version before anything imports the Kubernetes client, whose HTTP
// stack crashes at import on Node < 22.19 with an error that names neither Node nor the fix.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `outage-lab needs Node 22.19 or newer; this is ${process.version}.\n` +
      'Run it through npm (`npx lab ...` or `npm run lab -- ...`) inside the repo: the project installs Node 22 as a dependency.\n',
  );
  process.exit(1);
}
const { register } = await import('tsx/esm/api');
register();
await import('../src/cli.ts');
