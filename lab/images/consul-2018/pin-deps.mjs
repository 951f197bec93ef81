#!/usr/bin/env node
// Writes a go.mod that pins each dependency of a Consul 1.2.x release to what its vendor/vendor.json names.
// Consul of 2018 had no go.mod, and the Go module proxy refuses commit-hash queries, so each vendored
// revision is turned into the pseudo-version go would give it (v0.0.0-<UTC commit time>-<12 hex>) and
// asked for by that exact name; where the proxy does not serve it, the tagged version nearest in time is
// taken instead and the reason written down. Run by hand when a release is added (it queries the proxy);
// the build uses the go.mod and DEPENDENCIES.tsv it writes, not this script.
//
//   node pin-deps.mjs <consul version, e.g. 1.2.2> <output folder>
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [version, outDir] = process.argv.slice(2);
if (!version || !outDir) {
  console.error('usage: node pin-deps.mjs <consul version> <output folder>');
  process.exit(2);
}
// Modules that must be exactly the vendored revision: the gossip layer is what the experiment measures.
const EXACT = new Set(['github.com/hashicorp/serf', 'github.com/hashicorp/memberlist']);

const proxyOnly = execFileSync('go', ['env', 'GOPROXY'], { encoding: 'utf8' }).trim().replace(/[,|]direct$/, '');
const scratch = mkdtempSync(join(tmpdir(), 'pin-deps-'));
writeFileSync(join(scratch, 'go.mod'), 'module scratch\n\ngo 1.16\n');
const env = { ...process.env, GOPROXY: proxyOnly, GOFLAGS: '-mod=mod', GOSUMDB: 'off', GOWORK: 'off' };

function goList(args) {
  try {
    return JSON.parse(execFileSync('go', ['list', '-m', '-json', ...args], { cwd: scratch, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (err) {
    return { Error: { Err: String(err.stderr ?? err.message).trim().split('\n').pop() } };
  }
}

function goDownload(modVersion) {
  try {
    const out = JSON.parse(execFileSync('go', ['mod', 'download', '-json', modVersion], { cwd: scratch, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    return out.Error ? { Error: { Err: String(out.Error) } } : out;
  } catch (err) {
    const text = String(err.stdout ?? '');
    try {
      const out = JSON.parse(text);
      return { Error: { Err: String(out.Error ?? err.message) } };
    } catch {
      return { Error: { Err: String(err.stderr ?? err.message).trim().split('\n').pop() } };
    }
  }
}

const consul = goList([`github.com/hashicorp/consul@v${version}`]);
if (consul.Error) throw new Error(`consul v${version}: ${consul.Error.Err}`);
execFileSync('go', ['mod', 'download', `github.com/hashicorp/consul@v${version}`], { cwd: scratch, env });
const dir = goList([`github.com/hashicorp/consul@v${version}`]).Dir
  ?? execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim() + `/github.com/hashicorp/consul@v${version}`;
const vendor = JSON.parse(readFileSync(join(dir, 'vendor', 'vendor.json'), 'utf8'));

/** The repository (= module of that era) a vendored package path belongs to. */
function repoRoot(path) {
  const p = path.split('/');
  if (p[0] === 'gopkg.in') return p[1].includes('.v') ? p.slice(0, 2).join('/') : p.slice(0, 3).join('/');
  if (['github.com', 'golang.org', 'bitbucket.org'].includes(p[0])) return p.slice(0, 3).join('/');
  return p.slice(0, 2).join('/');
}

// Several packages of one repository can be vendored at different revisions; the newest one wins (a module
// has one version), and the others are noted.
const roots = new Map();
for (const pkg of vendor.package) {
  const root = repoRoot(pkg.path);
  const rev = { revision: pkg.revision, time: pkg.revisionTime };
  const seen = roots.get(root) ?? [];
  if (!seen.some((r) => r.revision === rev.revision)) seen.push(rev);
  roots.set(root, seen);
}

function pseudo(rev) {
  const t = rev.time.replace(/[-:TZ]/g, '').slice(0, 14);
  return `v0.0.0-${t}-${rev.revision.slice(0, 12)}`;
}

const rows = [];
for (const [root, revs] of [...roots.entries()].sort()) {
  if (root === 'github.com/hashicorp/consul') continue;
  const dated = revs.filter((r) => r.time && /^[0-9a-f]{40}$/.test(r.revision)).sort((a, b) => b.time.localeCompare(a.time));
  const note = revs.length > 1 ? `; vendored at ${revs.length} revisions, newest taken` : '';
  if (dated.length === 0) {
    rows.push({ root, version: '', vendored: revs.map((r) => r.revision).join(','), reason: `no dated revision in vendor.json${note}` });
    continue;
  }
  const want = dated[0];
  const pv = pseudo(want);
  // A version counts as served only if its zip downloads: the proxy answers .info for some versions whose
  // zip it then refuses (memberlist 9bdd37bfb26b, 1.2.2's, is one).
  const info = goDownload(`${root}@${pv}`);
  if (!info.Error) {
    rows.push({ root, version: info.Version, vendored: `${want.revision.slice(0, 12)} ${want.time}`, reason: `exact vendored revision${note}` });
    continue;
  }
  const exact = EXACT.has(root);
  // The gossip layer may fall back only when asked by name (PIN_ALLOW_NEAREST), and then only forwards in
  // time, so that the release's fixes are in; the reason column then says NOT EXACT.
  if (exact && !(process.env.PIN_ALLOW_NEAREST ?? '').split(',').includes(root)) {
    throw new Error(`${root}@${pv} is not served, and it must be exact: ${info.Error.Err}`);
  }
  // Nearest tagged version in time: the newest at or before the vendored time, else the oldest after it.
  const listed = goList(['-versions', root]);
  const tags = (listed.Versions ?? []).map((v) => ({ v, t: goList([`${root}@${v}`]).Time })).filter((x) => x.t);
  const before = tags.filter((x) => x.t <= want.time).sort((a, b) => b.t.localeCompare(a.t))[0];
  const after = tags.filter((x) => x.t > want.time).sort((a, b) => a.t.localeCompare(b.t))[0];
  const pick = exact ? after : (before ?? after);
  rows.push({
    root,
    version: pick ? pick.v : '',
    vendored: `${want.revision.slice(0, 12)} ${want.time}`,
    reason: pick
      ? `${exact ? 'NOT EXACT: ' : ''}pseudo-version ${pv} not served; nearest tag ${pick === before ? 'before' : 'after'} the vendored time (${pick.t})${note}`
      : `pseudo-version ${pv} not served and no tag listed${note}`,
  });
  console.error(`${root}: ${rows.at(-1).reason}`);
}

mkdirSync(outDir, { recursive: true });
const req = rows.filter((r) => r.version).map((r) => `\t${r.root} ${r.version}`);
writeFileSync(join(outDir, 'go.mod'), [
  `// Generated by lab/images/consul-2018/pin-deps.mjs from consul v${version}'s vendor/vendor.json; see DEPENDENCIES.tsv.`,
  'module outage-lab/consul-build',
  '',
  // The language version of the era: modules without a go.mod are compiled as go1.16 anyway.
  'go 1.16',
  '',
  'require (',
  `\tgithub.com/hashicorp/consul v${version}`,
  ...req,
  ')',
  '',
].join('\n'));
writeFileSync(join(outDir, 'DEPENDENCIES.tsv'), ['module\tversion\tvendored (revision, time)\treason',
  ...rows.map((r) => `${r.root}\t${r.version || '-'}\t${r.vendored}\t${r.reason}`)].join('\n') + '\n');
console.error(`${rows.filter((r) => r.reason.startsWith('exact')).length}/${rows.length} modules at their exact vendored revision`);
