import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utcIso, isUtcIso, localTime, zoneOffsetMinutes, fileStamp, utcAndLocal } from '../../src/util/time.ts';

const T = Date.UTC(2026, 10, 26, 3, 10, 0, 7); // 2026-11-26T03:10:00.007Z

test('utcIso always has milliseconds and Z', () => {
  assert.equal(utcIso(T), '2026-11-26T03:10:00.007Z');
  assert.equal(utcIso(new Date(Date.UTC(2026, 0, 1))), '2026-01-01T00:00:00.000Z');
  assert.ok(isUtcIso(utcIso()));
  assert.ok(!isUtcIso('2026-11-26T03:10:00Z'));
  assert.ok(!isUtcIso('2026-11-26T03:10:00.000+01:00'));
});

test('local time names the zone and offset, DST included', () => {
  assert.equal(localTime(T, { timeZone: 'UTC' }), '2026-11-26 03:10:00 UTC (UTC+00:00)');
  assert.match(localTime(T, { timeZone: 'Europe/Berlin' }), /^2026-11-26 04:10:00 \S+ \(UTC\+01:00\)$/);
  // Minneapolis (Target's home) in winter is UTC-6, in summer UTC-5.
  assert.match(localTime(T, { timeZone: 'America/Chicago' }), /^2026-11-25 21:10:00 CST \(UTC-06:00\)$/);
  assert.equal(zoneOffsetMinutes(Date.UTC(2026, 6, 1), 'America/Chicago'), -300);
  assert.equal(zoneOffsetMinutes(T, 'Asia/Kolkata'), 330);
  assert.match(localTime(T, { timeZone: 'Asia/Kolkata', ms: true }), /^2026-11-26 08:40:00\.007 .* \(UTC\+05:30\)$/);
  assert.throws(() => localTime('not a date'), RangeError);
});

test('fileStamp is safe in folder names', () => {
  assert.equal(fileStamp(T), '2026-11-26T03-10-00Z');
  const pair = utcAndLocal(T, { timeZone: 'UTC' });
  assert.equal(pair.utc, '2026-11-26T03:10:00.007Z');
});
