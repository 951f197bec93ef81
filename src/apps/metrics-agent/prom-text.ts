// Just enough of the Prometheus text format to turn a /metrics page into samples.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/g;

export function parsePrometheusText(text: string): { samples: Sample[]; errors: number } {
  const samples: Sample[] = [];
  let errors = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = sampleLine.exec(line);
    if (!m) {
      errors++;
      continue;
    }
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const lm of m[3].matchAll(labelPair)) labels[lm[1]!] = lm[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const v = m[4]!;
    const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
    if (Number.isNaN(value) && v !== 'NaN') {
      errors++;
      continue;
    }
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, errors };
}
