// A strict reader of the exporter's OpenMetrics text for the tests: it refuses anything promtool would
// refuse that the exporter could plausibly get wrong (bad escapes, a family's samples split, time going
// backwards in a series, a missing # EOF), and unescapes label values so a round trip can be checked.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Milliseconds. */
  t: number;
}

export interface Parsed {
  types: Map<string, string>;
  helps: Map<string, string>;
  samples: Sample[];
}

function parseLabels(text: string, line: number): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    if (!m) throw new Error(`line ${line}: bad label at ${JSON.stringify(text.slice(i, i + 20))}`);
    i += m[0].length;
    let v = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\n') throw new Error(`line ${line}: raw newline in a label value`);
      if (c === '\\') {
        const e = text[i + 1];
        if (e === '\\') v += '\\';
        else if (e === '"') v += '"';
        else if (e === 'n') v += '\n';
        else throw new Error(`line ${line}: bad escape \\${e}`);
        i += 2;
        continue;
      }
      v += c;
      i++;
    }
    if (Object.hasOwn(out, m[1]!)) throw new Error(`line ${line}: label ${m[1]} twice`);
    out[m[1]!] = v;
    i++;
    if (text[i] === ',') i++;
  }
  return out;
}

export function parseOpenMetrics(text: string): Parsed {
  if (!text.endsWith('# EOF\n')) throw new Error('no "# EOF" line at the end');
  const lines = text.slice(0, -'# EOF\n'.length).split('\n').filter((l) => l !== '');
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  const closed = new Set<string>();
  let family: string | undefined;
  const lastT = new Map<string, number>();
  lines.forEach((l, idx) => {
    const n = idx + 1;
    const meta = /^# (TYPE|HELP) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(l);
    if (meta) {
      const [, kind, name, rest] = meta;
      const map = kind === 'TYPE' ? types : helps;
      if (map.has(name!)) throw new Error(`line ${n}: second # ${kind} for ${name}`);
      if (family !== name) {
        if (family) closed.add(family);
        if (closed.has(name!)) throw new Error(`line ${n}: family ${name} appears twice`);
        family = name;
      }
      map.set(name!, rest!);
      return;
    }
    if (l.startsWith('#')) throw new Error(`line ${n}: unexpected comment ${l}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+) (\d+(?:\.\d{1,3})?)$/.exec(l);
    if (!m) throw new Error(`line ${n}: not a sample line: ${l}`);
    const [, name, labelText, valueText, tsText] = m;
    const fam = types.get(name!) === undefined && name!.endsWith('_total') ? name!.slice(0, -6) : name!;
    if (fam !== family) throw new Error(`line ${n}: sample ${name} outside its family (in ${family})`);
    const type = types.get(fam);
    if (!type) throw new Error(`line ${n}: sample ${name} before its # TYPE`);
    if (type === 'counter' && !name!.endsWith('_total')) throw new Error(`line ${n}: counter sample ${name} without _total`);
    const labels = parseLabels(labelText!, n);
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    if (valueText !== 'NaN' && Number.isNaN(value)) throw new Error(`line ${n}: bad value ${valueText}`);
    const t = Math.round(Number(tsText) * 1000);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    const prev = lastT.get(key);
    if (prev !== undefined && t <= prev) throw new Error(`line ${n}: ${key} goes from ${prev} to ${t}: not in time order`);
    lastT.set(key, t);
    samples.push({ name: name!, labels, value, t });
  });
  return { types, helps, samples };
}

/** Samples of one metric whose labels include `match`, in file order. */
export function select(p: Parsed, name: string, match: Record<string, string> = {}): Sample[] {
  return p.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}
