// HAProxy's CSV stats (`/stats;csv`), reduced to what the lab asks of the LB: which servers each
// backend lists and in what state. Columns are found by the header line, not by position, because
// HAProxy appends columns between versions.
export interface LbServer {
  name: string;
  address: string;
  status: string;
}

export function parseStatsCsv(csv: string): Map<string, LbServer[]> {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift();
  if (!header?.startsWith('# ')) throw new Error(`not HAProxy CSV stats: ${JSON.stringify(header?.slice(0, 60) ?? '')}`);
  const cols = header.slice(2).split(',');
  const at = (name: string) => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`HAProxy CSV stats have no "${name}" column`);
    return i;
  };
  const [px, sv, st, addr] = [at('pxname'), at('svname'), at('status'), at('addr')];
  const out = new Map<string, LbServer[]>();
  for (const line of lines) {
    const f = line.split(',');
    const backend = f[px]!;
    const name = f[sv]!;
    if (name === 'FRONTEND') continue;
    if (!out.has(backend)) out.set(backend, []);
    if (name === 'BACKEND') continue;
    out.get(backend)!.push({ name, address: f[addr] ?? '', status: f[st] ?? '' });
  }
  return out;
}

/** The backend HAProxy serves a Consul service from (see lab/images/lb/haproxy.ctmpl). */
export const backendOf = (service: string) => `be_${service}`;
