import * as k8s from '@kubernetes/client-node';
import type { RecordInput } from '../history/records.ts';
import { utcIso } from '../util/time.ts';

export interface ResumableWatchOptions<T extends k8s.KubernetesObject> {
  kc: k8s.KubeConfig;
  /** Collection path, e.g. /api/v1/pods. */
  path: string;
  /** Lists the collection; returns items and the list's resourceVersion. */
  list: () => Promise<{ items: T[]; resourceVersion: string }>;
  /** Every object seen: from a (re)list as 'added'/'modified', from the watch with its event type. */
  onObject: (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T, fromList: boolean) => void;
  /** Called after a relist with the set of uids present, so deletions missed during a gap become known. */
  onRelist?: (uids: Set<string>) => void;
  /** Where the watcher's blind spots go (gap records). */
  emit: (r: RecordInput) => void;
  source: string;
}

/**
 * A watch that never silently loses events: it resumes from the last resourceVersion it saw (bookmarks
 * keep that fresh), relists on 410 Gone, restarts after errors, and writes every interval in which it
 * could not see as a gap record: opened when the trouble starts, closed when a relist has caught up.
 */
export class ResumableWatch<T extends k8s.KubernetesObject> {
  #rv = '';
  #stopped = false;
  #abort: AbortController | undefined;
  #gapFrom: string | undefined;
  #gapReason = '';
  #loop: Promise<void> | undefined;
  readonly #watch: k8s.Watch;
  /** How many times the watch had to relist (410 or error): reported with the run. */
  relists = 0;

  constructor(private readonly o: ResumableWatchOptions<T>) {
    this.#watch = new k8s.Watch(o.kc);
  }

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    await this.#loop;
  }

  #openGap(reason: string, error?: string): void {
    if (this.#gapFrom) return;
    this.#gapFrom = utcIso();
    this.#gapReason = reason;
    this.o.emit({ type: 'gap', source: this.o.source, from: this.#gapFrom, reason, ...(error ? { error } : {}) });
  }

  #closeGap(): void {
    if (!this.#gapFrom) return;
    this.o.emit({ type: 'gap', source: this.o.source, from: this.#gapFrom, to: utcIso(), reason: this.#gapReason });
    this.#gapFrom = undefined;
  }

  async #relist(): Promise<void> {
    const { items, resourceVersion } = await this.o.list();
    const uids = new Set<string>();
    for (const item of items) {
      if (item.metadata?.uid) uids.add(item.metadata.uid);
      this.o.onObject('ADDED', item, true);
    }
    this.o.onRelist?.(uids);
    this.#rv = resourceVersion;
    this.#closeGap();
  }

  async #run(): Promise<void> {
    let needList = true;
    let backoffMs = 500;
    while (!this.#stopped) {
      try {
        if (needList) {
          await this.#relist();
          needList = false;
        }
        const outcome = await this.#watchOnce();
        if (outcome === 'gone') {
          this.relists++;
          this.#openGap('watch-410-relist');
          needList = true;
        }
        backoffMs = 500;
      } catch (err) {
        if (this.#stopped) break;
        this.#openGap('watch-error', (err as Error).message);
        this.relists++;
        needList = true;
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 10_000);
      }
    }
    this.#closeGap();
  }

  // The server ends each request after 25 s, below the client's 30 s inactivity timer, so a quiet
  // collection ends cleanly and resumes from #rv instead of looking like a failure.
  /** One watch request, resolved when it ends: 'ok' to resume from #rv, 'gone' to relist. */
  #watchOnce(): Promise<'ok' | 'gone'> {
    return new Promise((resolve, reject) => {
      let gone = false;
      this.#watch
        .watch(
          this.o.path,
          { resourceVersion: this.#rv, allowWatchBookmarks: true, timeoutSeconds: 25 },
          (type: string, obj: any) => {
            if (type === 'BOOKMARK') {
              if (obj?.metadata?.resourceVersion) this.#rv = obj.metadata.resourceVersion;
              return;
            }
            if (type === 'ERROR') {
              if (obj?.code === 410) gone = true;
              return;
            }
            if (obj?.metadata?.resourceVersion) this.#rv = obj.metadata.resourceVersion;
            this.o.onObject(type as 'ADDED' | 'MODIFIED' | 'DELETED', obj as T, false);
          },
          (err: any) => {
            if (gone || err?.statusCode === 410 || err?.code === 410) return resolve('gone');
            if (err && !this.#stopped) return reject(err instanceof Error ? err : new Error(String(err?.message ?? err)));
            resolve('ok');
          },
        )
        .then((ac) => {
          this.#abort = ac;
          if (this.#stopped) ac.abort();
        }, reject);
    });
  }
}
