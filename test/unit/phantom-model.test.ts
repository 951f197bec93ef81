import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitPower, modelSweep, predict, t975 } from '../../src/phantom/model.ts';

const near = (a: number, b: number, rel = 1e-9) => assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${a} is not ${b}`);

test('recovers an exact power law, with unit residuals', () => {
  const pts = [50, 200, 800, 3200].map((x) => ({ x, y: 3 * x ** 1.5 }));
  const f = fitPower(pts)!;
  near(f.b, 1.5);
  near(Math.exp(f.lnA), 3);
  near(f.r2!, 1);
  for (const r of f.residuals) near(r.ratio, 1);
  const p = predict(f, 41_000);
  near(p.mid, 3 * 41_000 ** 1.5, 1e-6);
  // A perfect fit has a zero-width interval.
  near(p.lo!, p.mid, 1e-6);
  near(p.hi!, p.mid, 1e-6);
});

test('noisy points: the interval brackets the line and widens away from the data', () => {
  const pts = [
    { x: 50, y: 10 * 1.2 },
    { x: 50, y: 10 / 1.2 },
    { x: 200, y: 40 * 1.1 },
    { x: 200, y: 40 / 1.1 },
    { x: 800, y: 160 * 1.15 },
    { x: 800, y: 160 / 1.15 },
  ];
  const f = fitPower(pts)!;
  near(f.b, 1, 1e-6); // symmetric noise in ln space leaves the slope at 1
  assert.equal(f.residuals.length, 6);
  assert.ok(f.residuals.some((r) => r.ratio > 1.19 && r.ratio < 1.21));
  const inside = predict(f, 200);
  const far = predict(f, 41_000);
  assert.ok(far.lo! < far.mid && far.mid < far.hi!);
  assert.ok(far.hi! / far.lo! > inside.hi! / inside.lo!, 'extrapolation is less certain than interpolation');
  near(far.mid, 41_000 * 0.2, 1e-6);
});

test('too few or unusable points give no fit, two points a fit without interval', () => {
  assert.equal(fitPower([{ x: 10, y: 1 }]), null);
  assert.equal(fitPower([{ x: 10, y: 1 }, { x: 10, y: 2 }]), null, 'one size only: no slope');
  assert.equal(fitPower([{ x: 10, y: 0 }, { x: 20, y: -1 }, { x: 30, y: Number.NaN }]), null);
  const two = fitPower([{ x: 10, y: 1 }, { x: 100, y: 10 }])!;
  near(two.b, 1);
  const p = predict(two, 1000);
  assert.equal(p.lo, null);
  near(p.mid, 100, 1e-9);
});

test('t quantiles: small samples get wide intervals', () => {
  assert.equal(t975(1), 12.706);
  assert.equal(t975(4), 2.776);
  assert.equal(t975(100), 1.96);
});

test('modelSweep fits each group and metric separately', () => {
  const rows = [50, 200, 800].flatMap((m) => [
    { group: '1.8.7 plain', members: m, values: { cpu: m * 0.01, kv: 5 } },
    { group: '1.8.7 encrypted', members: m, values: { cpu: m * m * 0.001, kv: null } },
  ]);
  const models = modelSweep(rows, ['cpu', 'kv']);
  assert.equal(models.length, 4);
  const plain = models.find((m) => m.group === '1.8.7 plain' && m.metric === 'cpu')!;
  const enc = models.find((m) => m.group === '1.8.7 encrypted' && m.metric === 'cpu')!;
  near(plain.fit!.b, 1, 1e-9);
  near(enc.fit!.b, 2, 1e-9);
  near(plain.at41k!.mid, 410, 1e-6);
  const flat = models.find((m) => m.group === '1.8.7 plain' && m.metric === 'kv')!;
  near(flat.fit!.b, 0, 1e-9);
  assert.equal(models.find((m) => m.group === '1.8.7 encrypted' && m.metric === 'kv')!.fit, null, 'no values, no fit');
});
