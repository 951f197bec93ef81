// The shipped JSON Schemas are generated from the loader's spec (never edited beside it), and every
// shipped scenario and variant points an editor at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { SCHEMA_FILES, scenarioJsonSchema, schemaText, type SchemaMode } from '../../src/scenario/json-schema.ts';
import { parseDuration } from '../../src/util/duration.ts';
import { repoRoot } from '../../src/util/paths.ts';

test('the shipped schemas equal the generated ones (run `npm run schema` after changing src/scenario/schema.ts)', () => {
  for (const mode of Object.keys(SCHEMA_FILES) as SchemaMode[]) {
    const file = path.join(repoRoot, 'lab', SCHEMA_FILES[mode]);
    assert.ok(fs.existsSync(file), `${file} missing`);
    assert.equal(fs.readFileSync(file, 'utf8'), schemaText(mode), `${file} is stale: run npm run schema`);
  }
});

test('every shipped scenario and variant carries the yaml-language-server modeline and uses only schema fields', () => {
  for (const [dir, mode] of [['scenarios', 'scenario'], ['variants', 'variant']] as const) {
    const props = (scenarioJsonSchema(mode) as { properties: Record<string, unknown> }).properties;
    for (const name of fs.readdirSync(path.join(repoRoot, 'lab', dir)).filter((n) => n.endsWith('.yaml'))) {
      const text = fs.readFileSync(path.join(repoRoot, 'lab', dir, name), 'utf8');
      assert.equal(text.split('\n')[0], `# yaml-language-server: $schema=../${SCHEMA_FILES[mode]}`, `${dir}/${name}`);
      for (const k of Object.keys(parse(text) as object)) assert.ok(k in props, `${dir}/${name}: ${k} not in the schema`);
    }
  }
});

test('the schema says what the loader accepts: withdrawn values absent, fixed fields const, limits carried', () => {
  const s = scenarioJsonSchema('scenario') as any;
  assert.deepEqual(s.required, ['name', 'phases']);
  assert.deepEqual(s.properties.consul.properties.servers.enum, [3]);
  assert.match(s.properties.consul.properties.servers.description, /5: refused/);
  assert.deepEqual(s.properties.consul.properties.gossipEncryption.enum, ['off']);
  assert.equal(s.properties.kafka.properties.partitions.const, 3);
  assert.equal(s.properties.shipper.properties.batchLines.maximum, 100_000);
  assert.equal(s.properties.cluster.additionalProperties, false);
  const v = scenarioJsonSchema('variant') as any;
  assert.equal(v.required, undefined);
  assert.ok(v.properties.about);
  assert.ok(v.properties.phases.anyOf.some((x: any) => x.anyOf?.some((y: any) => y.properties?.$append)), 'variants may $append phases');
  // The duration pattern agrees with the parser.
  const re = new RegExp(s.properties.recorder.properties.samplePeriod.pattern);
  for (const ok of ['0', '250ms', '90s', '3m', '1h30m', '2d', '1.5s', '1h2m3s4ms']) {
    assert.ok(re.test(ok), ok);
    parseDuration(ok);
  }
  for (const bad of ['30', '30s1m', 'm', '1x', '1m1m', '']) {
    assert.ok(!re.test(bad), bad);
    assert.throws(() => parseDuration(bad));
  }
});
