// Bad input ends in one clear line naming the file and what is allowed, in bounded time: sizes, nesting,
// aliases, encodings, merge keys, prototype keys, non-regular files and the number of errors printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadScenario, parseSetArgs, ScenarioError, resolveLayers } from '../../src/scenario/index.ts';

const MINIMAL = `name: t
phases:
  - { name: baseline, duration: 10s }
  - { name: cut }
  - { name: hold, duration: 20s }
  - { name: restore }
  - { name: observe, duration: 30s }
`;

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-limits-'));
}

/** Loads `content` as a scenario; returns the ScenarioError's message. Fails on any other outcome. */
function refusal(content: string | Buffer, opts: Parameters<typeof loadScenario>[1] = {}): string {
  const d = tmp();
  const f = path.join(d, 'scenario.yaml');
  fs.writeFileSync(f, content);
  const started = performance.now();
  try {
    loadScenario(f, { variantsDir: d, ...opts });
  } catch (e) {
    assert.ok(e instanceof ScenarioError, `not a ScenarioError: ${(e as Error)?.stack}`);
    assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
    return e.message;
  } finally {
    delete (Object.prototype as Record<string, unknown>).packets;
    delete (Object.prototype as Record<string, unknown>).polluted;
  }
  assert.fail('expected a ScenarioError');
}

test('an alias bomb is refused in one line, quickly', { timeout: 5000 }, () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  const msg = refusal(MINIMAL + bomb.join('\n') + '\n');
  assert.match(msg, /scenario\.yaml.*alias/i);
  assert.ok(!msg.includes('\n'), msg);
});

test('deep nesting is refused in one line, not a stack overflow', { timeout: 5000 }, () => {
  for (const deep of ['x: ' + '['.repeat(20_000) + ']'.repeat(20_000), 'x: ' + '{a: '.repeat(5_000) + '1' + '}'.repeat(5_000)]) {
    const msg = refusal(MINIMAL + deep + '\n');
    assert.match(msg, /scenario\.yaml.*(nest|deep)/i);
    assert.ok(msg.length < 400, msg.slice(0, 500));
  }
});

test('a file above the size limit is refused without being parsed', { timeout: 5000 }, () => {
  const msg = refusal(MINIMAL + '#'.repeat(2 * 1024 * 1024) + '\n');
  assert.match(msg, /scenario\.yaml.*(larger|too large|size)/i);
});

/** Runs `body` (a function of the scenario module `m`) in a child process: synchronous work that regresses to minutes fails at `ms` instead of freezing the runner. */
function inChild(body: string, ms = 60_000): string {
  const mod = path.resolve(import.meta.dirname, '..', '..', 'src', 'scenario', 'index.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(mod)}).then((m) => { ${body} })`], { encoding: 'utf8', timeout: ms });
  assert.equal(r.error, undefined, `did not finish within ${ms} ms`);
  assert.equal(r.stderr, '', r.stderr);
  return r.stdout;
}

test('many bad fields: merging stays fast and at most a few errors are printed', { timeout: 70_000 }, () => {
  // ~40 KB of unknown fields in the scenario and a variant replacing them all (main: a 280 KB one took 52 s and printed 4.3 MB).
  const d = tmp();
  const keys = Array.from({ length: 3_000 }, (_, i) => `  k${i}: ${i}`);
  fs.writeFileSync(path.join(d, 'scenario.yaml'), MINIMAL + 'workload:\n' + keys.join('\n') + '\n');
  fs.writeFileSync(path.join(d, 'v.yaml'), 'workload:\n' + keys.map((k) => k + '0').join('\n') + '\n');
  const out = inChild(`const t = performance.now(); try { m.loadScenario(${JSON.stringify(path.join(d, 'scenario.yaml'))}, { variantsDir: ${JSON.stringify(d)}, variants: ['v'] }); } catch (e) { console.log(JSON.stringify({ ms: performance.now() - t, msg: e.message, scenario: e instanceof m.ScenarioError })); }`);
  const { ms, msg, scenario } = JSON.parse(out) as { ms: number; msg: string; scenario: boolean };
  assert.ok(scenario);
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  assert.ok(msg.split('\n').length <= 25, `${msg.split('\n').length} lines`);
  assert.match(msg, /and \d+ more/);
  assert.ok(msg.length < 5000, `${msg.length} chars`);
});

test('merging large layers is linear (no quadratic provenance)', { timeout: 70_000 }, () => {
  const out = inChild(`
    const big = Object.fromEntries(Array.from({ length: 12_000 }, (_, i) => ['k' + i, i]));
    const t = performance.now();
    try { m.resolveLayers([{ file: 'a', data: { workload: big } }, { file: 'b', data: { workload: { ...big } } }, { file: 'c', data: { workload: { ...big } } }], { file: 'a', variants: [] }); } catch (e) { if (!(e instanceof m.ScenarioError)) throw e; }
    console.log(performance.now() - t);`);
  assert.ok(Number(out) < 3000, `took ${Number(out).toFixed(0)} ms`);
});

test('a FIFO (or any non-regular file) is refused without blocking', { timeout: 70_000 }, () => {
  const d = tmp();
  const fifo = path.join(d, 'pipe.yaml');
  execFileSync('mkfifo', [fifo]);
  // In a child process: a hang must fail the test, not freeze the runner.
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('${path.resolve('src/scenario/index.ts')}').then((m) => { try { m.loadScenario(${JSON.stringify(fifo)}); } catch (e) { console.log(e.message); } })`], { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.error, undefined, 'the load hung on the FIFO');
  assert.match(r.stdout, /pipe\.yaml.*(regular file|not a file)/);
  const r2 = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('${path.resolve('src/scenario/index.ts')}').then((m) => { try { m.loadScenario(${JSON.stringify(d)}); } catch (e) { console.log(e.message); } })`], { encoding: "utf8", timeout: 30_000 });
  assert.match(r2.stdout, /regular file|directory/);
});

test('__proto__, constructor and prototype keys are refused and pollute nothing', () => {
  for (const text of [
    MINIMAL + '__proto__: { packets: reject }\n',
    MINIMAL + 'fault:\n  __proto__: { packets: reject }\n',
    MINIMAL + 'fault:\n  constructor: { prototype: { packets: reject } }\n',
  ]) {
    const msg = refusal(text);
    assert.match(msg, /__proto__|constructor|prototype/);
    assert.equal(({} as Record<string, unknown>).packets, undefined, 'Object.prototype polluted');
  }
  // Through a variant that replaces a mapping.
  const msg = refusal(MINIMAL, { variants: ['v'] , variantsDir: (() => { const d = tmp(); fs.writeFileSync(path.join(d, 'v.yaml'), 'fault:\n  __proto__:\n    polluted: 1\n'); return d; })() });
  assert.match(msg, /__proto__/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('--set refuses __proto__ paths and values and pollutes nothing', () => {
  for (const arg of ['__proto__.packets=reject', 'fault.__proto__.packets=reject', 'constructor.prototype.packets=reject', 'fault={__proto__: {packets: reject}}']) {
    let err: unknown;
    try {
      const d = tmp();
      fs.writeFileSync(path.join(d, 's.yaml'), MINIMAL);
      loadScenario(path.join(d, 's.yaml'), { variantsDir: d, overrides: parseSetArgs([arg]) });
    } catch (e) {
      err = e;
    }
    const polluted = ({} as Record<string, unknown>).packets;
    delete (Object.prototype as Record<string, unknown>).packets;
    assert.equal(polluted, undefined, `${arg} polluted Object.prototype`);
    assert.ok(err instanceof ScenarioError, `${arg}: ${String(err)}`);
    assert.match(err.message, /--set.*(__proto__|constructor|prototype)/);
  }
});

test('binary, UTF-16 and merge-key files get a message that says what is wrong', () => {
  assert.match(refusal(Buffer.from([0x6e, 0x61, 0x00, 0x01, 0xff, 0x00, 0x10])), /scenario\.yaml.*binary/i);
  assert.match(refusal(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(MINIMAL, 'utf16le')])), /scenario\.yaml.*UTF-16.*UTF-8/);
  assert.match(refusal(Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xc3, 0x28, 0x0a])), /scenario\.yaml.*UTF-8/);
  assert.match(refusal(MINIMAL + 'base: &b { mode: cut }\nfault:\n  <<: *b\n'), /scenario\.yaml:\d+.*merge key/i);
  // A UTF-8 byte-order mark is harmless.
  const d = tmp();
  fs.writeFileSync(path.join(d, 's.yaml'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(MINIMAL)]));
  assert.equal(loadScenario(path.join(d, 's.yaml'), { variantsDir: d }).name, 't');
});

test('a long bad value is shortened in the message', () => {
  const msg = refusal(MINIMAL + `description: 1\nvariant: "${'x'.repeat(5000)}"\n`);
  assert.ok(msg.length < 600, `${msg.length} chars`);
});
