import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { metricsAgentConfig } from '../../src/apps/metrics-agent/config.ts';
import { diffTargets, Discovery, targetsFromPods, type PodLister } from '../../src/apps/metrics-agent/discovery.ts';
import type { ScrapeTarget } from '../../src/apps/metrics-agent/scraper.ts';
import { EnvError } from '../../src/apps/lib/env.ts';
import { quietLog, VirtualClock } from './helpers/apps-fakes.ts';

const ep = { port: 8080, path: '/metrics' };

function pod(name: string, ip: string | undefined, phase = 'Running', extra: { uid?: string; deleting?: boolean } = {}): V1Pod {
  return {
    metadata: { name, namespace: 'devenv', uid: extra.uid ?? `uid-${name}`, ...(extra.deleting ? { deletionTimestamp: new Date() } : {}) },
    status: { phase, ...(ip ? { podIP: ip } : {}) },
  };
}

/** A pod list the test scripts: each list() returns (or throws) the next entry, then repeats the last. */
class FakeLister implements PodLister {
  calls = 0;
  constructor(private readonly script: Array<V1Pod[] | Error>) {}
  async list(): Promise<V1Pod[]> {
    const r = this.script[Math.min(this.calls++, this.script.length - 1)]!;
    if (r instanceof Error) throw r;
    return r;
  }
}

const keys = (ts: readonly ScrapeTarget[]) => ts.map((t) => t.key);

describe('metrics agent: targets from a pod list', () => {
  it('scrapes Running pods by their IP, keyed by pod name, in a stable order', () => {
    const ts = targetsFromPods([pod('devenv-b', '10.244.1.7'), pod('devenv-a', '10.244.1.5')], ep);
    assert.deepEqual(ts, [
      { id: 'devenv/devenv-a/uid-devenv-a', url: 'http://10.244.1.5:8080/metrics', key: 'devenv-a' },
      { id: 'devenv/devenv-b/uid-devenv-b', url: 'http://10.244.1.7:8080/metrics', key: 'devenv-b' },
    ]);
  });

  it('leaves out pods that cannot answer or are going away', () => {
    const ts = targetsFromPods(
      [pod('pending', undefined, 'Pending'), pod('no-ip', undefined), pod('done', '10.0.0.3', 'Succeeded'), pod('terminating', '10.0.0.4', 'Running', { deleting: true }), pod('ok', '10.0.0.5')],
      ep,
    );
    assert.deepEqual(keys(ts), ['ok']);
  });

  it('brackets IPv6 pod IPs', () => {
    assert.equal(targetsFromPods([pod('v6', 'fd00::5')], { port: 9, path: '/m' })[0]!.url, 'http://[fd00::5]:9/m');
  });
});

describe('metrics agent: refresh diffing', () => {
  const a = { id: 'ns/a/1', url: 'http://10.0.0.1:8080/metrics', key: 'a' };
  const b = { id: 'ns/b/2', url: 'http://10.0.0.2:8080/metrics', key: 'b' };
  const c = { id: 'ns/c/3', url: 'http://10.0.0.3:8080/metrics', key: 'c' };

  it('reports new and gone pods, nothing for unchanged ones', () => {
    assert.deepEqual(diffTargets([a, b], [b, c]), { added: [c], removed: [a] });
    assert.deepEqual(diffTargets([a, b], [a, b]), { added: [], removed: [] });
  });

  it('treats a pod whose IP changed as a different endpoint', () => {
    const moved = { ...a, url: 'http://10.0.0.9:8080/metrics' };
    assert.deepEqual(diffTargets([a], [moved]), { added: [moved], removed: [a] });
  });
});

describe('metrics agent: discovery', () => {
  it('follows the pod list and keeps the last targets while the API fails', async () => {
    const lister = new FakeLister([[pod('a', '10.0.0.1'), pod('b', '10.0.0.2')], new Error('API server timeout'), [pod('b', '10.0.0.2'), pod('c', '10.0.0.3')]]);
    const d = new Discovery(lister, { ...ep, refreshMs: 10_000 }, new VirtualClock(), quietLog);
    assert.deepEqual(keys(d.targets), [], 'nothing before the first list');
    await d.refresh();
    assert.deepEqual(keys(d.targets), ['a', 'b']);
    await d.refresh();
    assert.deepEqual(keys(d.targets), ['a', 'b'], 'a failed list keeps scraping what was known');
    assert.equal(d.errors, 1);
    await d.refresh();
    assert.deepEqual(keys(d.targets), ['b', 'c']);
    assert.equal(d.errors, 1);
  });

  it('refreshes on its period once started, and stops', async () => {
    const lister = new FakeLister([[pod('a', '10.0.0.1')], [pod('a', '10.0.0.1'), pod('b', '10.0.0.2')]]);
    const clock = new VirtualClock(0);
    const d = new Discovery(lister, { ...ep, refreshMs: 10_000 }, clock, quietLog);
    await d.refresh();
    d.start();
    for (let i = 0; i < 50 && lister.calls < 3; i++) await new Promise((r) => setImmediate(r));
    await d.stop();
    assert.ok(lister.calls >= 3, `listed ${lister.calls} times`);
    assert.deepEqual(keys(d.targets), ['a', 'b']);
    assert.equal(clock.now() % 10_000, 0, 'refreshes land on the period');
    const after = lister.calls;
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    assert.equal(lister.calls, after, 'no refresh after stop');
  });
});

describe('metrics agent: configuration', () => {
  const node = { SCRAPE_DISCOVERY: 'node', NODE_NAME: 'kind-worker', POD_NAMESPACE: 'devenv', POD_NAME: 'node-agents-x' };

  it('keeps the sidecar default when discovery is not asked for', () => {
    assert.deepEqual(metricsAgentConfig({}).targets, { mode: 'static', urls: ['http://127.0.0.1:8080/metrics'] });
  });

  it('node discovery: this node, the own namespace unless told otherwise', () => {
    const t = metricsAgentConfig({ ...node, SCRAPE_SELECTOR: 'app=devenv' }).targets;
    assert.deepEqual(t, { mode: 'node', nodeName: 'kind-worker', namespace: 'devenv', labelSelector: 'app=devenv', port: 8080, path: '/metrics', refreshMs: 10_000 });
    assert.equal((metricsAgentConfig({ ...node, SCRAPE_NAMESPACE: 'other' }).targets as { namespace: string }).namespace, 'other');
  });

  it('node discovery refuses to start without what it needs', () => {
    assert.throws(() => metricsAgentConfig({ ...node, NODE_NAME: '' }), (e: unknown) => e instanceof EnvError && /NODE_NAME/.test(e.message));
    assert.throws(() => metricsAgentConfig({ ...node, POD_NAMESPACE: undefined }), (e: unknown) => e instanceof EnvError && /NAMESPACE/.test(e.message));
    assert.throws(() => metricsAgentConfig({ ...node, SCRAPE_URL: 'http://x/metrics' }), (e: unknown) => e instanceof EnvError && /SCRAPE_URL/.test(e.message));
    assert.throws(() => metricsAgentConfig({ ...node, SCRAPE_PATH: 'metrics' }), (e: unknown) => e instanceof EnvError && /SCRAPE_PATH/.test(e.message));
  });
});
