// A scenario error must let someone fix their file without reading the validator: which file (and line),
// which field, what value it had, and what would have been accepted.
import { LabError } from '../util/errors.ts';
import { clip, MAX_ISSUES_SHOWN } from './limits.ts';

export type PathSeg = string | number;

export interface ScenarioIssue {
  /** File the offending value came from ('--set' for overrides). */
  file: string;
  line?: number;
  col?: number;
  /** Dotted field path, e.g. `shipper.mode` or `phases[2].name`. */
  path: string;
  /** The offending value, as written (absent for a missing field). */
  value?: unknown;
  /** What is accepted: "one of naive | backoff", "an integer >= 1", ... */
  expected: string;
  /** The problem in a few words, when "got X, expected Y" is not enough. */
  problem?: string;
  /** "did you mean ...?" and similar. */
  hint?: string;
}

export class ScenarioError extends LabError {
  override name = 'ScenarioError';
  readonly issues: readonly ScenarioIssue[];

  constructor(issues: ScenarioIssue[]) {
    // A file of 10 000 bad keys must not print 10 000 lines: the first ones say what is wrong.
    const lines = issues.slice(0, MAX_ISSUES_SHOWN).map(formatIssue);
    if (issues.length > MAX_ISSUES_SHOWN) lines.push(`… and ${issues.length - MAX_ISSUES_SHOWN} more problems (fix these first)`);
    const head = issues.length === 1 ? 'Invalid scenario: ' : `Invalid scenario (${issues.length} problems):\n  - `;
    super(head + lines.join('\n  - '));
    this.issues = issues;
  }
}

export function formatIssue(i: ScenarioIssue): string {
  const where = i.line !== undefined ? `${i.file}:${i.line}:${i.col ?? 1}` : i.file;
  const problem = i.problem ? `${i.problem}; ` : '';
  const got = i.value !== undefined ? `got ${renderValue(i.value)}; ` : '';
  const hint = i.hint ? ` (${i.hint})` : '';
  return `${where}: ${clip(i.path, 120)}: ${problem}${got}expected ${i.expected}${hint}`;
}

export function renderValue(v: unknown): string {
  if (typeof v === 'string') return v.length > 60 ? `${JSON.stringify(v.slice(0, 60))}… (${v.length} chars)` : JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

export function pathString(segs: readonly PathSeg[]): string {
  let out = '';
  for (const s of segs) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out || '(top level)';
}

export function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const cl = c.toLowerCase();
    const d = cl === w ? 0 : levenshtein(w, cl);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestD <= limit ? best : undefined;
}
