import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect, format } from 'node:util';
import { Secret, redactText, registerSecret, clearRegisteredSecrets, containsSecret, REDACTED } from '../../src/secrets/secret.ts';

const VALUE = 's.9xKq2vLrTn0pZ7aB'; // looks like a Vault token

test('a Secret never shows its value by any generic route', () => {
  const s = new Secret(VALUE, 'vault-root-token');
  assert.equal(s.reveal(), VALUE);
  const routes = [
    String(s),
    `${s}`,
    'token=' + s,
    JSON.stringify(s),
    JSON.stringify({ token: s, nested: [{ s }] }),
    inspect(s),
    inspect({ a: { b: { c: s } } }, { depth: 10 }),
    inspect(s, { showHidden: true }),
    format('%s %o %O %j', s, s, s, { s }),
    Object.keys(s).join(','),
    JSON.stringify({ ...s }),
    JSON.stringify(Object.entries(s)),
  ];
  for (const out of routes) assert.ok(!out.includes(VALUE), `leaked via: ${out}`);
  assert.ok(routes[0]!.includes(REDACTED));
  assert.ok(routes[4]!.includes(REDACTED));
  assert.ok(s.equals(VALUE));
  assert.ok(!s.equals('other'));
});

test('an error message built from a Secret is redacted', () => {
  const s = new Secret(VALUE);
  const err = new Error(`login failed with ${s}`);
  assert.ok(!err.message.includes(VALUE));
  assert.ok(!inspect(err).includes(VALUE));
});

test('redactText strips registered values from foreign text', () => {
  clearRegisteredSecrets();
  const gossipKey = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';
  registerSecret(gossipKey);
  const unseal = new Secret('unseal-key-0123456789abcdef');
  const line = `consul keyring -install=${gossipKey} && vault operator unseal ${unseal.reveal()}`;
  const out = redactText(line);
  assert.ok(!out.includes(gossipKey));
  assert.ok(!out.includes(unseal.reveal()));
  assert.equal(out, `consul keyring -install=${REDACTED} && vault operator unseal ${REDACTED}`);
  // Values passed explicitly are redacted even if never registered.
  assert.equal(redactText('pw=hunter22', ['hunter22']), `pw=${REDACTED}`);
  assert.equal(redactText('no secrets here'), 'no secrets here');
  // Longest first: a secret containing another disappears whole.
  registerSecret('abcd');
  registerSecret('abcdefgh');
  assert.equal(redactText('x abcdefgh y'), `x ${REDACTED} y`);
  // Too short to redact safely: would eat ordinary words.
  registerSecret('a');
  assert.equal(redactText('a cat'), 'a cat');
  // JSON-escaped form of a value with quotes/backslashes is caught too.
  registerSecret('pa"ss\\word');
  assert.ok(!redactText(JSON.stringify({ p: 'pa"ss\\word' })).includes('ss\\\\word'));
});

test('containsSecret finds secrets deep inside records', () => {
  const s = new Secret('deep-secret-value');
  assert.ok(containsSecret({ a: [1, { b: s }] }));
  assert.ok(!containsSecret({ a: [1, { b: 'x' }], n: null }));
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.ok(!containsSecret(cyclic));
});
