import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DockerError } from '../../src/docker/cli.ts';
import { runArgs, uniqueName } from '../../src/docker/containers.ts';

describe('docker run arguments', () => {
  const args = runArgs({
    name: 'k1',
    image: 'outage-lab/kafka:dev',
    env: { A: '1', B: 'x y' },
    network: 'net1',
    aliases: ['kafka'],
    ports: [9092, { container: 8600, protocol: 'udp' }, { container: 7000, host: 7001 }],
    labels: { role: 'broker' },
    args: ['agent', '-dev'],
  });

  it('labels every container as the lab’s', () => {
    assert.ok(args.join(' ').includes('--label outage-lab=1'));
    assert.ok(args.join(' ').includes('--label role=broker'));
  });

  it('publishes ports on 127.0.0.1 only', () => {
    const published = args.flatMap((a, i) => (args[i - 1] === '--publish' ? [a] : []));
    assert.deepEqual(published, ['127.0.0.1::9092/tcp', '127.0.0.1::8600/udp', '127.0.0.1:7001:7000/tcp']);
  });

  it('puts the image right before its arguments, and options before the image', () => {
    const i = args.indexOf('outage-lab/kafka:dev');
    assert.deepEqual(args.slice(i + 1), ['agent', '-dev']);
    assert.ok(args.indexOf('--network-alias') < i && args.indexOf('--env') < i);
    assert.ok(args.includes('B=x y'), 'values are single argv entries, not shell words');
  });
});

describe('docker errors', () => {
  it('show the command ready to paste and the stderr', () => {
    const e = new DockerError("docker run --env 'A=x y' img", 125, 'Unable to find image\n');
    assert.match(e.message, /docker run --env 'A=x y' img/);
    assert.match(e.details ?? '', /Unable to find image/);
  });
});

describe('unique names', () => {
  it('differ between calls and keep the prefix', () => {
    const a = uniqueName('lab-kafka');
    assert.match(a, /^lab-kafka-[0-9a-f]{8}$/);
    assert.notEqual(a, uniqueName('lab-kafka'));
  });
});
