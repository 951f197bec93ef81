// Docker's --memory syntax, read once for every place that sizes nodes (limits, eviction, memory checks).

/** Bytes of a docker --memory value ("1536m", "2g"); undefined for anything else. */
export function dockerMemoryBytes(v: string): number | undefined {
  const m = /^(\d+)([bkmg])?$/i.exec(v);
  if (!m) return undefined;
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase()]!;
  return Number(m[1]) * unit;
}
