// `npm run schema`: writes lab/scenario.schema.json and lab/variant.schema.json from the loader's spec.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../util/paths.ts';
import { SCHEMA_FILES, schemaText, type SchemaMode } from './json-schema.ts';

for (const mode of Object.keys(SCHEMA_FILES) as SchemaMode[]) {
  const file = join(repoRoot, 'lab', SCHEMA_FILES[mode]);
  writeFileSync(file, schemaText(mode));
  process.stdout.write(`wrote ${file}\n`);
}
