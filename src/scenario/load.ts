// Reading scenario and variant files: YAML -> merged layers -> schema -> rules -> frozen, hashed result.
// Every problem becomes a ScenarioIssue located in the file (and line) that has to change.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Document, type Node, parse as parseYaml } from 'yaml';
import { repoRoot } from '../util/paths.ts';
import { ScenarioError, closest, pathString, type PathSeg, type ScenarioIssue } from './errors.ts';
import { expandDotted, mergeLayers, originOf, type Layer } from './merge.ts';
import { isPlainObject, resolveSpec, type RawIssue } from './resolve.ts';
import { checkRules } from './rules.ts';
import { SCENARIO_SPEC } from './schema.ts';
import { checkShape, clip, decodeUtf8, flowDepthBeyond, InputLimitError, MAX_ALIAS_COUNT, MAX_DEPTH, MAX_ISSUES_SHOWN, readBoundedFile, FORBIDDEN_KEYS } from './limits.ts';
import type { ResolvedScenario, ScenarioData } from './types.ts';
import { DEFAULT_RUNTIME } from '../runtime/index.ts';

export const DEFAULT_VARIANTS_DIR = path.join(repoRoot, 'lab', 'variants');
export const DEFAULT_SCENARIOS_DIR = path.join(repoRoot, 'lab', 'scenarios');
/** Provenance name of values given through `overrides` (the CLI's --set). */
export const OVERRIDES_SOURCE = '--set';

export interface LoadOptions {
  /** Variant names (files in `variantsDir`, without .yaml) or paths to variant files, applied in order. */
  variants?: readonly string[];
  /** Last layer, e.g. from `--set shipper.mode=backoff`; dotted keys are expanded. */
  overrides?: Record<string, unknown>;
  variantsDir?: string;
}

interface ParsedFile {
  display: string;
  doc: Document.Parsed;
  lc: LineCounter;
}

/** Load, merge, validate and resolve a scenario. Synchronous: the files are small and read once. */
export function loadScenario(file: string, opts: LoadOptions = {}): ResolvedScenario {
  const variantsDir = opts.variantsDir ?? DEFAULT_VARIANTS_DIR;
  const parsed = new Map<string, ParsedFile>();
  const layers: Layer[] = [];

  const base = readYamlFile(file, 'scenario');
  parsed.set(base.display, base);
  layers.push({ file: base.display, data: asMapping(base, 'scenario') });

  const names = opts.variants ?? [];
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      throw new ScenarioError([{ file: variantsDir, path: 'variants', value: name, expected: 'each variant once', problem: 'listed twice' }]);
    }
    seen.add(name);
    const vf = readYamlFile(variantPath(name, variantsDir), 'variant');
    parsed.set(vf.display, vf);
    const data = asMapping(vf, 'variant');
    delete data.about;
    layers.push({ file: vf.display, data });
  }
  if (opts.overrides && Object.keys(opts.overrides).length > 0) {
    layers.push({ file: OVERRIDES_SOURCE, data: expandDotted(opts.overrides) });
  }

  return resolveLayers(layers, {
    file,
    variants: [...names],
    locate: (f, srcPath) => {
      const p = parsed.get(f);
      return p ? locate(p, srcPath) : undefined;
    },
  });
}

export interface ResolveMeta {
  file: string;
  variants: string[];
  /** Map a file and a path inside it to a line/column, when the file is known. */
  locate?: (file: string, srcPath: PathSeg[]) => { line: number; col: number } | undefined;
}

/** The pure core of loadScenario, for scenarios built in code (tests, generated comparisons). */
export function resolveLayers(layers: Layer[], meta: ResolveMeta): ResolvedScenario {
  const { merged, prov, issues: mergeIssues } = mergeLayers(layers);
  // Finding a line costs a walk of the file: only the issues that get printed are located.
  let located = 0;
  const where = (file: string, srcPath: PathSeg[]) => (located++ < MAX_ISSUES_SHOWN ? meta.locate?.(file, srcPath) : undefined);
  const toIssue = (r: RawIssue): ScenarioIssue => {
    const o = originOf(prov, r.path);
    const pos = where(o.file, o.srcPath);
    return {
      file: o.file,
      ...(pos ? { line: pos.line, col: pos.col } : {}),
      path: pathString(r.path),
      ...('value' in r ? { value: r.value } : {}),
      expected: r.expected,
      ...(r.problem ? { problem: r.problem } : {}),
      ...(r.hint ? { hint: r.hint } : {}),
    };
  };
  const issues: ScenarioIssue[] = mergeIssues.map((m) => {
    const pos = where(m.file, m.srcPath);
    return {
      file: m.file,
      ...(pos ? { line: pos.line, col: pos.col } : {}),
      path: pathString(m.path),
      value: m.value,
      expected: m.expected,
      problem: m.problem,
    };
  });

  const raw: RawIssue[] = [];
  const draft = resolveSpec(SCENARIO_SPEC, merged, [], raw) as Record<string, unknown>;
  issues.push(...raw.map(toIssue));
  // Cross-field rules only make sense on values that passed their own checks.
  if (issues.length === 0) issues.push(...checkRules(draft as never).map(toIssue));
  if (issues.length > 0) throw new ScenarioError(issues);

  const data = draft as unknown as ScenarioData;
  let t = 0;
  const phases = data.phases.map((p) => {
    const out = { name: p.name, durationMs: p.durationMs, startMs: t };
    t += p.durationMs;
    return out;
  });
  const behaviour: ScenarioData = { ...data, phases };
  const { name: _n, description: _d, ...rest } = behaviour;
  // Every run made before `cluster.runtime` existed ran containerd: the default stays out of the hash, so
  // those runs keep counting for their matrix arm.
  const { runtime, ...clusterRest } = rest.cluster;
  const withRuntime = runtime === DEFAULT_RUNTIME ? { ...rest, cluster: clusterRest } : rest;
  // Likewise every run before the LB tier sent no traffic: without traffic a run is what it was.
  const { traffic, ...withoutTraffic } = withRuntime;
  const plain = traffic.ratePerSec === 0 ? withoutTraffic : withRuntime;
  // And before `fault.via` every cut went through node-exec: how the rules reach the nodes changes the
  // run's identity only when it is the agent.
  const { via, agentDeadlineMs, ...faultRest } = plain.fault;
  const viaHashed = via === 'node-exec' ? { ...plain, fault: faultRest } : plain;
  // Shippers before shipper.retryLog wrote no retry lines to stdout, which is `off`, not the default
  // `every`: only `off` leaves the hash as it was, since the default changes what the runtime copies.
  const { retryLog, ...shipperRest } = viaHashed.shipper;
  const hashed = retryLog === 'off' ? { ...viaHashed, shipper: shipperRest } : viaHashed;
  const result = {
    ...behaviour,
    file: meta.file,
    variants: meta.variants,
    sources: layers.map((l) => l.file),
    totalMs: t,
    perCluster: { workers: data.cluster.workers / data.clusters, replicas: data.workload.replicas / data.clusters },
    hash: contentHash(hashed),
  };
  return deepFreeze(result) as ResolvedScenario;
}

/** sha256 of canonical JSON (sorted keys), so the same content always hashes the same. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => value[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

// ---- files ------------------------------------------------------------------------------------------

function displayPath(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

function readYamlFile(file: string, what: 'scenario' | 'variant'): ParsedFile {
  const abs = path.resolve(file);
  const display = displayPath(abs);
  const refuse = (problem: string, expected: string, where: Partial<ScenarioIssue> = {}): never => {
    throw new ScenarioError([{ file: display, path: '(file)', expected, problem, ...where }]);
  };
  let text = '';
  try {
    text = decodeUtf8(readBoundedFile(abs));
  } catch (err) {
    if (err instanceof InputLimitError) refuse(err.message, `${err.expected} (a ${what} file)`);
    const code = (err as NodeJS.ErrnoException).code;
    refuse(code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? (err as Error).message})`, `a readable ${what} file`);
  }
  const lc = new LineCounter();
  const tooDeep = flowDepthBeyond(text);
  if (tooDeep !== undefined) {
    const line = text.slice(0, tooDeep).split('\n').length;
    refuse(`nested deeper than ${MAX_DEPTH} levels`, `at most ${MAX_DEPTH} levels of nesting (a scenario needs four)`, { line, path: '(yaml)' });
  }
  let doc: Document.Parsed;
  try {
    // yaml's own duplicate-key check compares each key with every earlier one (17 s for 12 000 keys);
    // duplicateKey() below does the same in one pass.
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  } catch (err) {
    // The composer recurses per level: thousands of `[` exhaust the stack before any check can run.
    if (err instanceof RangeError) refuse('nested too deeply to parse', 'a scenario of a few levels of nesting');
    throw err;
  }
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      doc.errors.map((e) => {
        const pos = lc.linePos(e.pos[0]);
        return { file: display, line: pos.line, col: pos.col, path: '(yaml)', expected: 'valid YAML', problem: e.message.split('\n')[0]! };
      }),
    );
  }
  const dup = duplicateKey(doc);
  if (dup) {
    const pos = lc.linePos(dup.pos);
    refuse(`the key "${dup.key}" appears twice in one mapping`, 'each key once (a later one would silently win)', { line: pos.line, col: pos.col, path: '(yaml)' });
  }
  return { display, doc, lc };
}

/** The first key repeated within one mapping, found without recursion and in linear time. */
function duplicateKey(doc: Document.Parsed): { key: string; pos: number } | undefined {
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const n = stack.pop();
    if (isMap(n)) {
      const seen = new Set<unknown>();
      for (const pair of n.items) {
        const k = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(k) && (k === null || typeof k !== 'object')) return { key: clip(String(k), 60), pos: (pair.key as Node | null)?.range?.[0] ?? 0 };
        seen.add(k);
        stack.push(pair.value);
      }
    } else if (isSeq(n)) stack.push(...n.items);
  }
  return undefined;
}

/** The document as plain data, within the alias and nesting limits and free of keys that reach prototypes. */
function toData(f: ParsedFile): unknown {
  let data: unknown;
  try {
    data = f.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const problem =
      err instanceof RangeError ? 'nested too deeply' : err instanceof ReferenceError ? `aliases expand beyond the limit (maxAliasCount ${MAX_ALIAS_COUNT}): an alias bomb?` : undefined;
    if (!problem) throw err;
    throw new ScenarioError([{ file: f.display, path: '(yaml)', problem, expected: 'a scenario written out, with few anchors and aliases' }]);
  }
  const bad = checkShape(data);
  if (bad) {
    const pos = locate(f, bad.path);
    throw new ScenarioError([{ file: f.display, ...(pos ? { line: pos.line, col: pos.col } : {}), path: pathString(bad.path), problem: bad.problem, expected: bad.expected }]);
  }
  return data;
}

function asMapping(f: ParsedFile, what: 'scenario' | 'variant'): Record<string, unknown> {
  const data = toData(f);
  if (!isPlainObject(data)) {
    throw new ScenarioError([
      {
        file: f.display,
        path: '(top level)',
        ...(data !== null && data !== undefined ? { value: data } : {}),
        expected: `a mapping of ${what} fields (name, phases, shipper, ...)`,
        problem: data == null ? 'the file is empty' : 'not a mapping',
      },
    ]);
  }
  return data;
}

/** Line and column of the deepest node on `srcPath` that exists (the key, for mapping entries). */
function locate(f: ParsedFile, srcPath: PathSeg[]): { line: number; col: number } | undefined {
  let node: unknown = f.doc.contents;
  let pos: number | undefined = (node as Node | null)?.range?.[0];
  for (const seg of srcPath) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) break;
      pos = (pair.key as Node | null)?.range?.[0] ?? pos;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      pos = item.range?.[0] ?? pos;
      node = item;
    } else break;
  }
  return pos === undefined ? undefined : f.lc.linePos(pos);
}

// ---- variants ---------------------------------------------------------------------------------------

export interface VariantInfo {
  name: string;
  file: string;
  /** The variant's one-line `about:`, for `lab variants`. */
  about: string;
}

/** Variants available in `dir`, sorted by name. */
export function listVariants(dir: string = DEFAULT_VARIANTS_DIR): VariantInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => /\.ya?ml$/.test(n));
  } catch {
    return [];
  }
  return names
    .map((n) => {
      const file = path.join(dir, n);
      let about = '';
      try {
        const data = parseYaml(fs.readFileSync(file, 'utf8')) as unknown;
        if (isPlainObject(data) && typeof data.about === 'string') about = data.about.trim();
      } catch {
        about = '(unreadable)';
      }
      return { name: n.replace(/\.ya?ml$/, ''), file, about };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function variantPath(name: string, dir: string): string {
  if (name.includes('/') || /\.ya?ml$/.test(name)) return name;
  for (const ext of ['.yaml', '.yml']) {
    const p = path.join(dir, name + ext);
    if (fs.existsSync(p)) return p;
  }
  const available = listVariants(dir).map((v) => v.name);
  const near = closest(name, available);
  throw new ScenarioError([
    {
      file: displayPath(dir),
      path: 'variants',
      value: name,
      expected: available.length ? `one of ${available.join(' | ')}` : `a .yaml file in ${displayPath(dir)} (there are none)`,
      problem: 'unknown variant',
      ...(near ? { hint: `did you mean "${near}"?` } : {}),
    },
  ]);
}

// ---- overrides --------------------------------------------------------------------------------------

/**
 * Parse `key.path=value` strings (the CLI's --set) into an overrides object. Values are read as YAML
 * scalars or flow collections, so `workload.replicas=12` is a number and `shipper.backoffJitter=false`
 * a boolean, as they would be in a file.
 */
export function parseSetArgs(args: readonly string[]): Record<string, unknown> {
  // Keys naming __proto__, constructor or prototype are refused below, before any assignment.
  const out: Record<string, unknown> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) {
      throw new ScenarioError([{ file: OVERRIDES_SOURCE, path: clipPath(a), expected: 'field.path=value, e.g. shipper.mode=backoff', problem: 'malformed override' }]);
    }
    const key = a.slice(0, eq).trim();
    const text = a.slice(eq + 1);
    const bad = key.split('.').find((p) => FORBIDDEN_KEYS.has(p));
    if (bad) {
      throw new ScenarioError([{ file: OVERRIDES_SOURCE, path: clipPath(key), problem: `the key "${bad}" is not allowed`, expected: 'a scenario field path, e.g. shipper.mode' }]);
    }
    let value: unknown;
    try {
      value = text === '' ? null : parseYaml(text, { maxAliasCount: MAX_ALIAS_COUNT });
    } catch {
      value = text;
    }
    const shape = checkShape(value);
    if (shape) {
      throw new ScenarioError([{ file: OVERRIDES_SOURCE, path: clipPath([key, ...shape.path.map(String)].join('.')), problem: shape.problem, expected: shape.expected }]);
    }
    out[key] = value;
  }
  return out;
}

function clipPath(p: string): string {
  return p.length > 100 ? `${p.slice(0, 100)}…` : p;
}
