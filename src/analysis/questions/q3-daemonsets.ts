import { preventionFindings } from '../answer-findings.ts';
import { USER_METRICS } from '../catalog.ts';
import { REFERENCE_RUN, type QuestionDef } from './types.ts';

export const q3: QuestionDef = {
  id: 'q3',
  title: 'Are DaemonSets better than sidecars?',
  question: 'One shipper and one Consul agent per node instead of per pod: CPU peak, NotReady nodes, nodes under pressure, pods moved, pool size, time to recover.',
  baseArm: 'sidecar',
  metrics: ['runtimeCpuPeak', 'nodeCpuPeak', 'maxNotReady', 'notReadyNodeSeconds', 'maxPressure', 'pressureNodeSeconds', 'podsRescheduled', 'poolPeak', 'consulP99Flood', 'deliveredRatio', 'timeToRecoverMs', ...USER_METRICS],
  arms: [
    { id: 'sidecar', label: 'sidecars', runs: 'reference', measure: REFERENCE_RUN },
    { id: 'daemonset', label: 'DaemonSets', runs: { field: 'variant' }, measure: { matrix: 'daemonset', variants: ['daemonset'] } },
  ],
  tally: true,
  trail: ({ arms, refs }) => preventionFindings(arms, refs).map((f) => ({ ...f, kind: 'note' })),
};
