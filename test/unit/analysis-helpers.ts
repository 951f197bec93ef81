// Hand-written histories for the analysis tests: records at second offsets from T0, seq in list order.
import type { HistoryRecord, RecordInput } from '../../src/history/records.ts';

export const T0 = Date.UTC(2026, 10, 26, 3, 0, 0, 0);
export const at = (sec: number) => new Date(T0 + sec * 1000).toISOString();

type Timed = RecordInput extends infer R ? (R extends unknown ? Omit<R, 'ts' | 'source'> & { t: number; source?: string } : never) : never;

/** Build a history; each entry's `t` is seconds after T0. Order is kept as given (tests can shuffle). */
export function history(...entries: Timed[]): HistoryRecord[] {
  return entries.map((e, i) => {
    const { t, ...rest } = e as Timed & Record<string, unknown>;
    return { source: 'test', ...rest, ts: at(t), seq: i + 1 } as unknown as HistoryRecord;
  });
}

/** baseline 0-60, cut at 60, hold 60-120, restore at 120, flood 120-180, observe 180-300. */
export function phases(end = 300): Timed[] {
  const p = (name: string, from: number, to: number, index: number): Timed[] => [
    { t: from, type: 'phase', name, edge: 'start', index, source: 'controller' },
    ...(to <= end ? [{ t: to, type: 'phase', name, edge: 'end', index, source: 'controller' } as Timed] : []),
  ];
  return [
    ...p('baseline', 0, 60, 0),
    ...p('cut', 60, 60, 1),
    ...p('hold', 60, 120, 2),
    ...p('restore', 120, 120, 3),
    ...p('flood', 120, 180, 4),
    ...p('observe', 180, 300, 5),
  ].filter((e) => e.t <= end);
}

export const node = (t: number, name: string, ready: true | false | 'unknown', source = 'watch/nodes'): Timed => ({
  t,
  type: 'node',
  source,
  name,
  ready,
  conditions: [{ type: 'Ready', status: ready === true ? 'True' : ready === false ? 'False' : 'Unknown', reason: ready === true ? 'KubeletReady' : 'NodeStatusUnknown' }],
  taints: [],
  unschedulable: false,
});

type Status = 'True' | 'False' | 'Unknown';

/** A node record as a kubelet posts it: Ready plus the three pressure conditions (False unless given;
 *  `null` leaves a condition out, as an older recorder would). */
export const nodeWith = (
  t: number,
  name: string,
  ready: true | false | 'unknown',
  pressure: { MemoryPressure?: Status | null; DiskPressure?: Status | null; PIDPressure?: Status | null } = {},
  source = 'watch/nodes',
): Timed => {
  const reasons: Record<string, Record<Status, string>> = {
    MemoryPressure: { True: 'KubeletHasInsufficientMemory', False: 'KubeletHasSufficientMemory', Unknown: 'NodeStatusUnknown' },
    DiskPressure: { True: 'KubeletHasDiskPressure', False: 'KubeletHasNoDiskPressure', Unknown: 'NodeStatusUnknown' },
    PIDPressure: { True: 'KubeletHasInsufficientPID', False: 'KubeletHasSufficientPID', Unknown: 'NodeStatusUnknown' },
  };
  const conditions = (['MemoryPressure', 'DiskPressure', 'PIDPressure'] as const).flatMap((type) => {
    const status = pressure[type] === undefined ? 'False' : pressure[type];
    return status === null ? [] : [{ type, status, reason: reasons[type]![status] }];
  });
  const base = node(t, name, ready, source) as Extract<Timed, { type: 'node' }>;
  return { ...base, conditions: [...conditions, ...base.conditions] };
};

export const pod = (t: number, uid: string, fields: Record<string, unknown> = {}): Timed =>
  ({ t, type: 'pod', source: 'watch/pods', ns: 'default', name: `app-${uid}`, uid, event: 'modified', ownerUid: 'rs-1', ownerName: 'app-5d8f9c7b6', ownerKind: 'ReplicaSet', ...fields }) as Timed;

export const cpu = (t: number, nodeName: string, scope: 'node' | 'runtime' | 'kubelet' | 'shims' | 'pods' | 'pod', cores: number, extra: Record<string, unknown> = {}): Timed =>
  ({ t, type: 'cpu', source: 'sampler/cpu', scope, node: nodeName, cores, ...extra }) as Timed;

export const shuffle = <T>(xs: T[], seed = 7): T[] => {
  const a = [...xs];
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
};
