// One registry feeds both /stats (JSON, for the lab's recorder) and /metrics (Prometheus text, for the
// metrics agent and humans), so the two can never disagree.

export type MetricKind = 'counter' | 'gauge';

export interface MetricDef {
  /** Name without the program prefix, e.g. `lines_sent_total`. */
  name: string;
  help: string;
  kind: MetricKind;
  value: () => number;
}

export class Registry {
  private readonly metrics: MetricDef[] = [];
  private readonly info: Record<string, string> = {};

  constructor(readonly prefix: string) {}

  counter(name: string, help: string, value: () => number): void {
    this.add({ name, help, kind: 'counter', value });
  }

  gauge(name: string, help: string, value: () => number): void {
    this.add({ name, help, kind: 'gauge', value });
  }

  /** Constant labels describing the configuration (mode, source...), exported as `<prefix>_info 1`. */
  setInfo(labels: Record<string, string>): void {
    Object.assign(this.info, labels);
  }

  private add(def: MetricDef): void {
    if (this.metrics.some((m) => m.name === def.name)) throw new Error(`metric ${def.name} registered twice`);
    this.metrics.push(def);
  }

  values(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of this.metrics) out[m.name] = m.value();
    return out;
  }

  infoLabels(): Record<string, string> {
    return { ...this.info };
  }

  toPrometheus(): string {
    const lines: string[] = [];
    if (Object.keys(this.info).length > 0) {
      const name = `${this.prefix}_info`;
      lines.push(`# HELP ${name} Configuration of this program.`, `# TYPE ${name} gauge`, `${name}{${labelText(this.info)}} 1`);
    }
    for (const m of this.metrics) {
      const name = `${this.prefix}_${m.name}`;
      lines.push(`# HELP ${name} ${m.help}`, `# TYPE ${name} ${m.kind}`, `${name} ${formatValue(m.value())}`);
    }
    return lines.join('\n') + '\n';
  }
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
