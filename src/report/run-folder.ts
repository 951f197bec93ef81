// A run folder as `lab replay` leaves it: history.jsonl, scenario.json (resolved), versions.json.
// Reading one never needs the cluster; a missing scenario or versions file makes the report say
// "unknown" for them rather than refusing to build.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readHistory, type ReadResult } from '../history/reader.ts';
import type { MetaRecord } from '../history/records.ts';
import type { ResolvedScenario } from '../scenario/types.ts';
import { LabError } from '../util/errors.ts';
import { runsDir } from '../util/paths.ts';

export const HISTORY_FILE = 'history.jsonl';
export const SCENARIO_FILE = 'scenario.json';
export const VERSIONS_FILE = 'versions.json';
export const SUMMARY_FILE = 'summary.json';
export const REPORT_FILE = 'report.html';

export interface RunFolder {
  dir: string;
  id: string;
  history: ReadResult;
  scenario: ResolvedScenario | null;
  versions: Record<string, string>;
  /** The history's meta record says it was generated (a test fixture), not measured. */
  synthetic: boolean;
  /** Problems with the folder's side files, for the report's warnings. */
  notes: string[];
}

/** A path to a run folder, or a run id under runs/ (a unique prefix is enough). */
export function resolveRunDir(arg: string, base: string = runsDir): string {
  const candidates = [arg, path.join(base, arg)];
  for (const c of candidates) if (fs.existsSync(path.join(c, HISTORY_FILE))) return path.resolve(c);
  if (fs.existsSync(base)) {
    const matches = fs.readdirSync(base).filter((d) => d.startsWith(arg) && fs.existsSync(path.join(base, d, HISTORY_FILE)));
    if (matches.length === 1) return path.join(base, matches[0]!);
    if (matches.length > 1) throw new LabError(`"${arg}" matches ${matches.length} runs: ${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', ...' : ''}`, 'give more of the run id');
  }
  throw new LabError(`no run folder with a ${HISTORY_FILE} at "${arg}" or under ${base}`, 'pass a run folder path or a run id; `ls runs/` lists them');
}

function readJson<T>(file: string, notes: string[]): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    notes.push(e.code === 'ENOENT' ? `${path.basename(file)} is missing` : `${path.basename(file)} could not be read: ${e.message}`);
    return null;
  }
}

export async function loadRunFolder(dir: string): Promise<RunFolder> {
  const notes: string[] = [];
  const history = await readHistory(path.join(dir, HISTORY_FILE));
  const scenarioRaw = readJson<ResolvedScenario>(path.join(dir, SCENARIO_FILE), notes);
  const scenario = scenarioRaw && typeof scenarioRaw === 'object' && Array.isArray(scenarioRaw.phases) && scenarioRaw.cluster ? scenarioRaw : null;
  if (scenarioRaw && !scenario) notes.push(`${SCENARIO_FILE} is not a resolved scenario (no phases/cluster)`);
  const versionsRaw = readJson<Record<string, unknown>>(path.join(dir, VERSIONS_FILE), notes) ?? {};
  const versions = Object.fromEntries(Object.entries(versionsRaw).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  const meta = history.records.find((r): r is MetaRecord => r.type === 'meta');
  return {
    dir,
    id: meta?.runId ?? path.basename(path.resolve(dir)),
    history,
    scenario,
    versions,
    synthetic: meta?.details?.synthetic === true,
    notes,
  };
}
