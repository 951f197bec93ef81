import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  loadScenario,
  listVariants,
  parseSetArgs,
  ScenarioError,
  describeScenario,
  phaseLine,
  phaseAt,
  resolveLayers,
  type ResolvedScenario,
  type ScenarioData,
} from '../../src/scenario/index.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const TARGET = path.join(REPO, 'lab/scenarios/target-2019.yaml');
const SMOKE = path.join(REPO, 'lab/scenarios/smoke.yaml');

function dir(files: Record<string, string>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-scenario-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(d, name)), { recursive: true });
    fs.writeFileSync(path.join(d, name), text);
  }
  return d;
}

const MINIMAL = `name: t
phases:
  - { name: baseline, duration: 10s }
  - { name: cut }
  - { name: hold, duration: 20s }
  - { name: restore }
  - { name: observe, duration: 30s }
`;

/** Load and return the ScenarioError (failing the test if it loads). */
function errorOf(text: string, opts: Parameters<typeof loadScenario>[1] = {}, files: Record<string, string> = {}): ScenarioError {
  const d = dir({ 'scenario.yaml': text, ...files });
  try {
    loadScenario(path.join(d, 'scenario.yaml'), { variantsDir: path.join(d, 'variants'), ...opts });
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  assert.fail('expected a ScenarioError');
}

test('a minimal scenario resolves every default, in ms, frozen', () => {
  const d = dir({ 's.yaml': MINIMAL });
  const s = loadScenario(path.join(d, 's.yaml'), { variantsDir: d });
  // The full resolved shape: if the schema and the ScenarioData type drift apart, this fails.
  const expected: ScenarioData = {
    name: 't',
    description: '',
    variant: 'sidecar',
    clusters: 1,
    cluster: {
      runtime: 'containerd',
      workers: 3,
      nodeCpus: 0.5,
      nodeMemory: '2g',
      nodeStatusUpdateFrequencyMs: 10_000,
      nodeMonitorGracePeriodMs: 40_000,
      podEvictionTimeoutMs: 300_000,
      kubeletMemory: 'node',
      evictionHard: { memoryAvailable: null, nodefsAvailable: null, imagefsAvailable: null },
    },
    workload: { replicas: 30, logRatePerSec: 20, logLineBytes: 256, resources: 'none' },
    shipper: {
      mode: 'naive',
      source: 'file',
      retryLog: 'every',
      bufferMaxBytes: 0,
      bufferMaxLines: 0,
      rateLinesPerSec: 0,
      batchLines: 500,
      backoffInitialMs: 200,
      backoffMaxMs: 30_000,
      backoffJitter: true,
    },
    consul: { servers: 3, leaveOnTerminate: false, reconnectTimeoutMs: 72 * 3_600_000, advertiseReconnectTimeoutMs: null, gossipEncryption: 'off' },
    kafka: { placement: 'external', partitions: 3 },
    fault: { mode: 'cut', via: 'node-exec', agentDeadlineMs: 15_000, packets: 'drop', flap: { upMs: 20_000, downMs: 40_000 } },
    phases: [
      { name: 'baseline', durationMs: 10_000, startMs: 0 },
      { name: 'cut', durationMs: 0, startMs: 10_000 },
      { name: 'hold', durationMs: 20_000, startMs: 10_000 },
      { name: 'restore', durationMs: 0, startMs: 30_000 },
      { name: 'observe', durationMs: 30_000, startMs: 30_000 },
    ],
    remedy: null,
    recorder: { samplePeriodMs: 1_000, watchHeartbeatMs: 60_000 },
    traffic: { ratePerSec: 0, timeoutMs: 5_000, lbServerChecks: false },
    recovery: { timeoutMs: 600_000, latencyTolerance: 0.2 },
  };
  const { file, variants, sources, totalMs, perCluster, hash, ...data } = s;
  assert.deepEqual(data, expected);
  assert.equal(totalMs, 60_000);
  assert.deepEqual(perCluster, { workers: 3, replicas: 30 });
  assert.deepEqual(variants, []);
  assert.equal(sources.length, 1);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.ok(file.endsWith('s.yaml'));
  assert.ok(Object.isFrozen(s) && Object.isFrozen(s.shipper) && Object.isFrozen(s.phases) && Object.isFrozen(s.phases[0]));
  assert.throws(() => {
    (s.shipper as { mode: string }).mode = 'backoff';
  }, TypeError);
});

test('the shipped scenarios load, and target-2019 keeps cut-to-end within 15 minutes', () => {
  const t = loadScenario(TARGET);
  assert.equal(t.name, 'target-2019');
  const cut = t.phases.find((p) => p.name === 'cut')!;
  assert.ok(t.totalMs - cut.startMs <= 15 * 60_000, `cut-to-end ${t.totalMs - cut.startMs} ms`);
  assert.ok(t.phases[0]!.name === 'baseline' && t.phases[0]!.durationMs >= 60_000);
  const hold = t.phases.find((p) => p.name === 'hold')!;
  assert.ok(hold.durationMs >= 2 * 60_000);
  const s = loadScenario(SMOKE);
  assert.equal(s.workload.replicas, 6);
  assert.ok(s.totalMs <= 3 * 60_000);
  assert.equal(describeScenario(t), 'target-2019 · variant sidecar · shipper naive/file · fault cut · 1 cluster × 4 workers · 30 pods');
  assert.equal(phaseLine(s), 'baseline 20s ▸ CUT ▸ hold 30s ▸ RESTORE ▸ observe 1m00s');
  assert.equal(phaseAt(s, 0)!.name, 'baseline');
  assert.equal(phaseAt(s, 20_000)!.name, 'hold', 'zero-length phases are instants, never "current"');
  assert.equal(phaseAt(s, s.totalMs), undefined);
});

test('every shipped variant applies cleanly to both shipped scenarios (flap only where a cycle fits)', () => {
  const variants = listVariants();
  assert.ok(variants.length >= 5);
  for (const v of variants) {
    assert.ok(v.about.length > 10, `${v.name} needs an about:`);
    for (const sc of [TARGET, SMOKE]) {
      // smoke's 30 s hold is shorter than one flap cycle (40 s down + 20 s up): refused, by design.
      if (v.name === 'flap' && sc === SMOKE) {
        assert.throws(() => loadScenario(sc, { variants: [v.name] }), /fault\.flap\.down/);
        continue;
      }
      // Reading through dockerd needs dockerd in the nodes: alone it is refused, with docker-runtime it applies.
      if (v.name === 'docker-api-logs') {
        assert.throws(() => loadScenario(sc, { variants: [v.name] }), /docker-api-logs\.yaml:\d+:\d+: shipper\.source: .*got "docker-api"; expected one of file \| kubelet-api with cluster\.runtime containerd/);
        const s = loadScenario(sc, { variants: ['docker-runtime', v.name] });
        assert.equal(s.shipper.source, 'docker-api');
        continue;
      }
      const s = loadScenario(sc, { variants: [v.name] });
      assert.deepEqual(s.variants, [v.name]);
      assert.notEqual(s.hash, '', v.name);
    }
  }
  const names = variants.map((v) => v.name);
  for (const n of ['daemonset', 'gossip-encryption', 'shipper-backoff', 'leave-on-terminate', 'split-clusters']) assert.ok(names.includes(n), n);
});

test('variants deep-merge in order; lists replace; $append adds; null resets to default', () => {
  const d = dir({
    's.yaml': MINIMAL + 'shipper:\n  mode: backoff\n  bufferMaxLines: 100\nconsul:\n  leaveOnTerminate: true\n',
    'variants/a.yaml': 'about: a\nshipper:\n  mode: drop-oldest\nconsul:\n  leaveOnTerminate: null\n',
    'variants/b.yaml': 'about: b\nshipper:\n  mode: ratelimited\n  rateLinesPerSec: 50\nremedy: { kind: gossip-encryption }\nphases:\n  $append:\n    - { name: remedy, duration: 1m }\n',
    'variants/c.yaml': 'about: c\nphases:\n  - { name: baseline, duration: 5s }\n',
  });
  const vd = path.join(d, 'variants');
  const ab = loadScenario(path.join(d, 's.yaml'), { variantsDir: vd, variants: ['a', 'b'] });
  assert.equal(ab.shipper.mode, 'ratelimited', 'later variant wins');
  assert.equal(ab.shipper.bufferMaxLines, 100, 'sibling keys of the base survive');
  assert.equal(ab.consul.leaveOnTerminate, false, 'null resets to the default');
  assert.deepEqual(ab.phases.map((p) => p.name), ['baseline', 'cut', 'hold', 'restore', 'observe', 'remedy']);
  assert.equal(ab.phases.at(-1)!.startMs, 60_000);
  assert.deepEqual(ab.sources.map((s) => path.basename(s)), ['s.yaml', 'a.yaml', 'b.yaml']);

  const ba = loadScenario(path.join(d, 's.yaml'), { variantsDir: vd, variants: ['b', 'a'] });
  assert.equal(ba.shipper.mode, 'drop-oldest', 'order matters');
  assert.notEqual(ab.hash, ba.hash);

  const c = loadScenario(path.join(d, 's.yaml'), { variantsDir: vd, variants: ['c'] });
  assert.deepEqual(c.phases.map((p) => p.name), ['baseline'], 'a plain list replaces');

  // Overrides come last; dotted keys and --set strings are typed like YAML.
  const o = loadScenario(path.join(d, 's.yaml'), {
    variantsDir: vd,
    variants: ['a'],
    overrides: parseSetArgs(['shipper.bufferMaxBytes=1024', 'consul.leaveOnTerminate=true', 'workload.replicas=12']),
  });
  assert.equal(o.shipper.bufferMaxBytes, 1024);
  assert.equal(o.consul.leaveOnTerminate, true);
  assert.equal(o.workload.replicas, 12);
  assert.equal(o.sources.at(-1), '--set');
  // A variant given as a path works too.
  const p = loadScenario(path.join(d, 's.yaml'), { variantsDir: vd, variants: [path.join(vd, 'a.yaml')] });
  assert.equal(p.shipper.mode, 'drop-oldest');
});

test('the hash ignores name and description but sees every behavioural value', () => {
  const d = dir({
    'a.yaml': MINIMAL,
    'b.yaml': MINIMAL.replace('name: t', 'name: other\ndescription: words'),
    'c.yaml': MINIMAL + 'workload: { replicas: 29 }\n',
    'd.yaml': MINIMAL + 'workload: { replicas: 30 }\nshipper: { mode: naive }\n',
  });
  const h = (f: string) => loadScenario(path.join(d, f), { variantsDir: d }).hash;
  assert.equal(h('a.yaml'), h('b.yaml'));
  assert.notEqual(h('a.yaml'), h('c.yaml'));
  assert.equal(h('a.yaml'), h('d.yaml'), 'writing a default explicitly changes nothing');
});

// ---- errors: each names file, field, the bad value and what is allowed ----------------------------

test('a bad enum names file, line, field, value, allowed values and the likely fix', () => {
  const e = errorOf(MINIMAL + 'shipper:\n  mode: bakoff\n');
  assert.equal(e.issues.length, 1);
  const i = e.issues[0]!;
  assert.match(i.file, /scenario\.yaml$/);
  assert.equal(i.line, 9);
  assert.equal(i.path, 'shipper.mode');
  assert.equal(i.value, 'bakoff');
  assert.match(e.message, /scenario\.yaml:9:\d+: shipper\.mode: got "bakoff"; expected one of naive \| backoff \| ratelimited \| drop-oldest \(did you mean "backoff"\?\)/);
});

test('an unknown field suggests the closest known name, or the right section', () => {
  const e = errorOf(MINIMAL + 'shipper:\n  bufferMaxByte: 10\ncluster:\n  replicas: 4\nfoo: 1\n');
  const byPath = new Map(e.issues.map((i) => [i.path, i]));
  assert.match(byPath.get('shipper.bufferMaxByte')!.hint!, /did you mean "bufferMaxBytes"/);
  assert.match(byPath.get('shipper.bufferMaxByte')!.expected, /bufferMaxBytes, bufferMaxLines/);
  assert.match(byPath.get('cluster.replicas')!.hint!, /"workload\.replicas"/);
  assert.equal(byPath.get('foo')!.problem, 'unknown field');
  assert.match(e.message, /^Invalid scenario \(3 problems\)/);
});

test('type errors say what was expected', () => {
  const cases: [string, string, RegExp][] = [
    ['workload:\n  replicas: "30"\n', 'workload.replicas', /got "30"; expected an integer >= 1 and <= 2000 \(write it without quotes\)/],
    ['workload:\n  replicas: 0\n', 'workload.replicas', /got 0; expected an integer >= 1/],
    ['workload:\n  replicas: 2.5\n', 'workload.replicas', /expected an integer/],
    ['cluster:\n  nodeCpus: 0\n', 'cluster.nodeCpus', /expected "none" or a number > 0 and <= 64/],
    ['cluster:\n  nodeMemory: 2GB\n', 'cluster.nodeMemory', /expected "none" or a docker memory size like "1536m"/],
    ['cluster:\n  nodeMonitorGracePeriod: 40\n', 'cluster.nodeMonitorGracePeriod', /a bare number has no unit; write "40s" or "40ms"/],
    ['cluster:\n  nodeMonitorGracePeriod: 40 seconds\n', 'cluster.nodeMonitorGracePeriod', /expected a duration like "90s"/],
    ['consul:\n  reconnectTimeout: 10m\n', 'consul.reconnectTimeout', /expected a duration .* >= 8h and <= 8760h \(Consul refuses/],
    ['consul:\n  leaveOnTerminate: "yes"\n', 'consul.leaveOnTerminate', /expected true or false \(write true or false, unquoted\)/],
    ['clusters: 3\n', 'clusters', /got 3; expected one of 1 \| 2/],
    ['workload:\n  resources: {requests: {cpu: lots}}\n', 'workload.resources.requests.cpu', /expected "none" or a CPU quantity/],
    ['workload:\n  resources: some\n', 'workload.resources', /expected "none" or a mapping with fields requests, limits/],
    ['shipper: naive\n', 'shipper', /got "naive"; expected a mapping with fields mode, source/],
    ['recovery:\n  latencyTolerance: -1\n', 'recovery.latencyTolerance', /expected a number >= 0 and <= 10/],
    ['phases:\n  $prepend: []\n', 'phases.$prepend', /unknown merge directive/],
  ];
  for (const [extra, field, re] of cases) {
    // Later keys would be duplicates of MINIMAL's; put overriding sections in a variant instead.
    const e = extra.startsWith('phases')
      ? errorOf(MINIMAL, { variants: ['v'] }, { 'variants/v.yaml': extra })
      : errorOf(MINIMAL + extra);
    const i = e.issues.find((x) => x.path === field);
    assert.ok(i, `no issue at ${field} for ${JSON.stringify(extra)}: ${e.message}`);
    assert.match(e.message, re, extra);
    assert.ok(i.line !== undefined, `no line for ${field}`);
  }
});

test('missing required fields and empty or non-YAML files are reported with the file', () => {
  let e = errorOf('description: no name or phases\n');
  assert.deepEqual(e.issues.map((i) => i.path).sort(), ['name', 'phases']);
  assert.match(e.message, /name: required field; expected a lowercase name/);
  e = errorOf('');
  assert.match(e.message, /scenario\.yaml: \(top level\): the file is empty/);
  e = errorOf('name: [unclosed\n');
  assert.match(e.issues[0]!.file, /scenario\.yaml$/);
  assert.equal(e.issues[0]!.path, '(yaml)');
  assert.ok(e.issues[0]!.line !== undefined);
  e = errorOf('name: a\nname: b\nphases: []\n');
  assert.equal(e.issues[0]!.path, '(yaml)', 'duplicate keys are YAML errors');
  assert.throws(() => loadScenario('/nonexistent/x.yaml'), /x\.yaml: \(file\): file not found/);
});

test('phase rules: baseline first, cut before restore, remedy needs its config', () => {
  const ph = (...lines: string[]) => `name: t\nphases:\n${lines.map((l) => `  - ${l}\n`).join('')}`;
  const expectIssue = (text: string, field: string, re: RegExp, files: Record<string, string> = {}, variants: string[] = []) => {
    const e = errorOf(text, { variants }, files);
    const i = e.issues.find((x) => x.path === field);
    assert.ok(i, `expected an issue at ${field}, got: ${e.message}`);
    assert.match(e.message, re);
  };
  expectIssue(ph('{ name: cut }', '{ name: restore }'), 'phases[0].name', /the first phase must be baseline \(steady state is measured before any fault\); got "cut"; expected baseline/);
  expectIssue(ph('{ name: baseline, duration: 1m }', '{ name: restore }'), 'phases[1].name', /restore without a preceding cut/);
  expectIssue(ph('{ name: baseline, duration: 1m }', '{ name: cut }', '{ name: hold, duration: 1m }'), 'phases[1].name', /would end with Kafka still cut/);
  expectIssue(ph('{ name: baseline, duration: 1m }', '{ name: hold, duration: 1m }'), 'phases[1].name', /hold is the wait while Kafka is cut/);
  expectIssue(ph('{ name: baseline, duration: 1m }', '{ name: cut }', '{ name: cut }', '{ name: restore }'), 'phases[2].name', /already cut since phases\[1\]/);
  expectIssue(ph('{ name: baseline, duration: 1m }', '{ name: flood, duration: 1m }'), 'phases[1].name', /flood only after a restore/);
  expectIssue(ph('{ name: baseline }'), 'phases[0].duration', /a baseline phase needs a duration/);
  expectIssue(ph('{ name: baseline, duration: 1m }', '{ name: observe, duration: 0s }'), 'phases[1].duration', /zero length/);
  expectIssue(ph('{ name: baseline, duration: 1m }', '{ name: snooze, duration: 1m }'), 'phases[1].name', /expected one of baseline \| cut \| hold \| restore \| flood \| observe \| remedy/);
  expectIssue(MINIMAL + '  - { name: remedy, duration: 1m }\n', 'phases[5].name', /a remedy phase needs a remedy; got "remedy"; expected a `remedy:` section/);
  expectIssue(MINIMAL + 'remedy: { kind: gossip-encryption }\n', 'remedy.kind', /configured but never applied/);
});

test('cross-field rules blame the file that set the field, even in a variant', () => {
  const e = errorOf(MINIMAL, { variants: ['rl'] }, { 'variants/rl.yaml': 'about: x\nshipper:\n  mode: ratelimited\n' });
  const i = e.issues[0]!;
  assert.equal(i.path, 'shipper.mode');
  assert.match(i.file, /variants[/\\]rl\.yaml$/);
  assert.equal(i.line, 3);
  assert.match(e.message, /rateLinesPerSec > 0/);
  const others: [string, string, RegExp][] = [
    ['shipper: { mode: drop-oldest }\n', 'shipper.mode', /bufferMaxBytes or shipper\.bufferMaxLines > 0/],
    ['shipper: { backoffInitial: 1m, backoffMax: 10s }\n', 'shipper.backoffInitial', /at most shipper\.backoffMax \(10s\)/],
    ['cluster: { nodeMonitorGracePeriod: 10s }\n', 'cluster.nodeMonitorGracePeriod', /longer than cluster\.nodeStatusUpdateFrequency/],
    ['clusters: 2\ncluster: { workers: 3 }\n', 'cluster.workers', /an even number with clusters: 2/],
    ['clusters: 2\ncluster: { workers: 4 }\nworkload: { replicas: 30 }\nkafka: { placement: in-cluster }\n', 'kafka.placement', /external with clusters: 2/],
  ];
  for (const [extra, field, re] of others) {
    const err = errorOf(MINIMAL + extra);
    assert.ok(err.issues.some((x) => x.path === field), `${field}: ${err.message}`);
    assert.match(err.message, re);
  }
});

test('a bad value in a variant names the variant file and line, not the scenario', () => {
  const e = errorOf(MINIMAL, { variants: ['bad'] }, { 'variants/bad.yaml': 'about: x\nconsul:\n  servers: 4\n' });
  assert.match(e.issues[0]!.file, /variants[/\\]bad\.yaml$/);
  assert.equal(e.issues[0]!.line, 3);
  assert.match(e.message, /consul\.servers: got 4; expected one of 3/);
  const appended = errorOf(MINIMAL, { variants: ['ap'] }, { 'variants/ap.yaml': 'phases:\n  $append:\n    - { name: observe, duration: 5 }\n' });
  assert.match(appended.issues[0]!.file, /ap\.yaml$/);
  assert.equal(appended.issues[0]!.path, 'phases[5].duration');
  assert.equal(appended.issues[0]!.line, 3);
  const overridden = errorOf(MINIMAL, { overrides: { 'kafka.partitions': 0 } });
  assert.equal(overridden.issues[0]!.file, '--set');
});

test('unknown variants list the available ones', () => {
  const e = errorOf(MINIMAL, { variants: ['deamonset'] }, { 'variants/daemonset.yaml': 'about: x\nvariant: daemonset\n', 'variants/flap.yaml': 'about: y\n' });
  assert.match(e.message, /unknown variant; got "deamonset"; expected one of daemonset \| flap \(did you mean "daemonset"\?\)/);
  const twice = errorOf(MINIMAL, { variants: ['flap', 'flap'] }, { 'variants/flap.yaml': 'about: y\n' });
  assert.match(twice.message, /listed twice/);
  assert.throws(() => loadScenario(TARGET, { variants: ['no-such-variant'] }), /expected one of daemonset \|.*split-clusters/);
});

test('parseSetArgs types values like YAML and rejects malformed input', () => {
  assert.deepEqual(parseSetArgs(['a.b=12', 'c=true', 'd=backoff', 'e=90s', 'f=']), { 'a.b': 12, c: true, d: 'backoff', e: '90s', f: null });
  assert.throws(() => parseSetArgs(['noequals']), ScenarioError);
  assert.throws(() => parseSetArgs(['=x']), ScenarioError);
});

test('resolveLayers works on in-memory layers (generated comparisons)', () => {
  const s: ResolvedScenario = resolveLayers(
    [
      { file: 'base', data: { name: 'gen', phases: [{ name: 'baseline', duration: '1m' }] } },
      { file: 'split', data: { clusters: 2, cluster: { workers: 4 } } },
    ],
    { file: 'base', variants: ['split'] },
  );
  assert.deepEqual(s.perCluster, { workers: 2, replicas: 15 });
  assert.throws(
    () => resolveLayers([{ file: 'mem', data: { name: 'Bad Name', phases: [] } }], { file: 'mem', variants: [] }),
    (e: unknown) => e instanceof ScenarioError && e.issues.length === 2 && e.issues.every((i) => i.file === 'mem'),
  );
});
