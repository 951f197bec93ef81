// What every page inlines so it opens from disk with no network: ECharts' minified build (from the
// pinned npm package), the page script and the stylesheet. Read once per process.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { LabError } from '../util/errors.ts';

const require = createRequire(import.meta.url);
let cache: { echarts: string; client: string; css: string; echartsVersion: string } | null = null;

export function assets(): { echarts: string; client: string; css: string; echartsVersion: string } {
  if (cache) return cache;
  let echartsPath: string;
  try {
    echartsPath = require.resolve('echarts/dist/echarts.min.js');
  } catch {
    throw new LabError('the echarts package is not installed, so reports cannot draw charts', 'run `npm ci` in the repository');
  }
  const pkg = JSON.parse(fs.readFileSync(require.resolve('echarts/package.json'), 'utf8')) as { version: string };
  cache = {
    echarts: fs.readFileSync(echartsPath, 'utf8'),
    client: fs.readFileSync(new URL('./client.js', import.meta.url), 'utf8'),
    css: fs.readFileSync(new URL('./style.css', import.meta.url), 'utf8'),
    echartsVersion: pkg.version,
  };
  return cache;
}
