import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../util/paths.ts';

export type Obj = k8s.KubernetesObject & Record<string, any>;

/** Reads every object of a YAML file under manifests/. */
export function loadManifest(rel: string): Obj[] {
  const text = readFileSync(join(repoRoot, 'manifests', rel), 'utf8');
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as Obj | null)
    .filter((o): o is Obj => o !== null && typeof o === 'object' && 'kind' in o);
}

function podSpecOf(o: Obj): any {
  if (o.kind === 'Pod') return o.spec;
  return o.spec?.template?.spec;
}

/**
 * Manifests name images logically (`image: consul`); this resolves them to the lab's content-tagged refs.
 * The images are side-loaded into the nodes, so nothing may ever try a registry.
 */
export function resolveImages(objs: Obj[], images: Record<string, string>): Obj[] {
  for (const o of objs) {
    const spec = podSpecOf(o);
    if (!spec) continue;
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      const ref = images[c.image];
      if (ref) {
        c.image = ref;
        c.imagePullPolicy = 'Never';
      }
    }
  }
  return objs;
}

export function configMap(namespace: string, name: string, data: Record<string, string>, labels: Record<string, string> = {}): Obj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name, labels }, data };
}

/** Server-side apply: idempotent, so `lab up` twice converges instead of failing on "already exists". */
export async function applyAll(api: k8s.KubernetesObjectApi, objs: Obj[]): Promise<void> {
  for (const o of objs) {
    await api.patch(o, undefined, undefined, 'outage-lab', true, k8s.PatchStrategy.ServerSideApply);
  }
}
