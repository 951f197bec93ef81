import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, formatDuration, formatGoDuration, toMs, DurationError } from '../../src/util/duration.ts';

test('parses single and compound durations', () => {
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('3m'), 180_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1m30s500ms'), 90_500);
  assert.equal(parseDuration('1.5s'), 1_500);
  assert.equal(parseDuration('72h'), 259_200_000);
  assert.equal(parseDuration('2d'), 172_800_000);
  assert.equal(parseDuration(' 0 '), 0);
  assert.equal(parseDuration('0s'), 0);
});

test('refuses ambiguous or malformed durations', () => {
  for (const bad of ['', '30', '5 m', 'm', '1x', '-5s', '30s1m', '1m1m', '1h30', 'abc', '1.s']) {
    assert.throws(() => parseDuration(bad), DurationError, `should refuse ${JSON.stringify(bad)}`);
  }
});

test('toMs passes numbers through and rejects negatives', () => {
  assert.equal(toMs(1200), 1200);
  assert.equal(toMs('2s'), 2000);
  assert.throws(() => toMs(-1), DurationError);
  assert.throws(() => toMs(Number.NaN), DurationError);
});

test('formats for humans', () => {
  assert.equal(formatDuration(250), '250ms');
  assert.equal(formatDuration(0), '0ms');
  assert.equal(formatDuration(42_000), '42s');
  assert.equal(formatDuration(125_000), '2m05s');
  assert.equal(formatDuration(3_780_000), '1h03m');
  assert.equal(formatDuration(187_200_000), '2d04h');
  assert.equal(formatDuration(-90_000), '-1m30s');
  assert.equal(formatDuration(59_600), '1m00s');
});

test('Go durations round-trip through parseDuration exactly', () => {
  for (const ms of [0, 1, 999, 1000, 10_000, 90_500, 5_400_000, 259_200_000, 3_723_004]) {
    const s = formatGoDuration(ms);
    assert.match(s, /^(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/);
    assert.equal(parseDuration(s), ms, s);
  }
  assert.equal(formatGoDuration(40_000), '40s');
  assert.equal(formatGoDuration(259_200_000), '72h');
  assert.equal(formatGoDuration(0), '0s');
});
