#!/usr/bin/env zx
// The README's test command. Brings up what the tests need (Docker engine, images) and runs every suite,
// cheapest first so a broken unit fails in seconds. `npm test -- unit component` runs only those suites.
import { $, glob } from 'zx';
import { lab, stage } from './lib.mjs';

const all = ['typecheck', 'unit', 'component', 'e2e', 'browser'];
const wanted = process.argv.slice(3).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((s) => !all.includes(s));
if (unknown.length) {
  console.error(`unknown suite(s) ${unknown.join(', ')}; allowed: ${all.join(', ')}`);
  process.exit(2);
}
const suites = wanted.length ? wanted : all;
const sh = $({ stdio: 'inherit' });
const started = Date.now();

async function nodeTests(dir) {
  const files = (await glob(`test/${dir}/*.test.ts`)).sort();
  if (files.length === 0) return console.error(`(no tests in test/${dir})`);
  // One file at a time: these tests share one Docker engine and two cores.
  await sh`node --import tsx --test --test-concurrency=1 --test-reporter=spec ${files}`;
}

for (const suite of suites) {
  if (suite === 'typecheck') await stage('typecheck', () => sh`tsc --noEmit -p .`);
  if (suite === 'unit') await stage('unit tests', () => nodeTests('unit'));
  if (suite === 'browser') await stage('browser tests', () => nodeTests('browser'));
  if (['component', 'e2e'].includes(suite)) {
    if (!globalThis.__labReady) {
      await stage('docker engine', () => lab('docker'));
      await stage('images', () => lab('images'));
      globalThis.__labReady = true;
    }
    await stage(`${suite} tests`, () => nodeTests(suite));
  }
}
console.error(`\nAll suites passed (${suites.join(', ')}) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
