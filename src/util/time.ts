// The history speaks UTC with milliseconds so runs from different machines line up; reports add the
// reader's local time beside it because that is what people remember ("it broke at 3 am").

/** ISO-8601 UTC with milliseconds, e.g. 2026-11-26T03:10:00.123Z. */
export function utcIso(date: Date | number = Date.now()): string {
  return new Date(date).toISOString();
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** True for exactly the form `utcIso` writes; the history reader uses it to flag foreign timestamps. */
export function isUtcIso(text: string): boolean {
  return ISO_UTC.test(text) && !Number.isNaN(Date.parse(text));
}

/** Milliseconds since the epoch of an ISO string, or NaN. */
export function parseIso(text: string): number {
  return Date.parse(text);
}

export interface LocalTimeOptions {
  /** IANA zone; defaults to the process zone (TZ), which is the reader's when the report is made. */
  timeZone?: string;
  /** Keep milliseconds; off by default since local times are for people. */
  ms?: boolean;
}

/**
 * Local wall-clock time with its zone and offset, e.g. "2026-11-26 04:10:00 CET (UTC+01:00)".
 * Uses Intl so the zone database of the Node runtime decides DST, not hand-written rules.
 */
export function localTime(date: Date | number | string, opts: LocalTimeOptions = {}): string {
  const d = new Date(date);
  if (Number.isNaN(d.getTime())) throw new RangeError(`invalid date: ${String(date)}`);
  const timeZone = opts.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)?.value ?? '';
  const ms = opts.ms ? `.${String(d.getUTCMilliseconds()).padStart(3, '0')}` : '';
  const offset = formatOffset(zoneOffsetMinutes(d, timeZone));
  // en-US knows the common abbreviations (CST, PDT); other zones come out as "GMT+1", hence the offset.
  const zoneName =
    new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')
      ?.value ?? timeZone;
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}${ms} ${zoneName} (${offset})`;
}

/** Minutes east of UTC for `timeZone` at instant `date`. */
export function zoneOffsetMinutes(date: Date | number, timeZone: string): number {
  const d = new Date(date);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(d);
  const n = (t: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  const truncated = Math.floor(d.getTime() / 1000) * 1000;
  return Math.round((asUtc - truncated) / 60_000);
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** "2026-11-26T03:10:00.123Z · 04:10:00 CET" style pair for report tables. */
export function utcAndLocal(date: Date | number | string, opts: LocalTimeOptions = {}): { utc: string; local: string } {
  return { utc: utcIso(new Date(date)), local: localTime(date, opts) };
}

/** Filesystem-safe UTC stamp for run folder names, e.g. 2026-11-26T03-10-00Z. */
export function fileStamp(date: Date | number = Date.now()): string {
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
}
