import { preventionFindings } from '../answer-findings.ts';
import { USER_METRICS } from '../catalog.ts';
import { REFERENCE_RUN, type QuestionDef } from './types.ts';

/** Asked on both runtimes: each pair changes only the placement, on containerd and on Docker. */
export const q3: QuestionDef = {
  id: 'q3',
  title: 'Are DaemonSets better than sidecars?',
  question:
    'One shipper and one Consul agent per node instead of per pod, on containerd and on Docker (each compared on its own runtime): CPU peak, NotReady nodes, nodes under pressure, pods moved, pool size, time to recover.',
  baseArm: 'sidecar',
  metrics: ['runtimeCpuPeak', 'nodeCpuPeak', 'maxNotReady', 'notReadyNodeSeconds', 'maxPressure', 'pressureNodeSeconds', 'podsRescheduled', 'poolPeak', 'consulP99Flood', 'deliveredRatio', 'timeToRecoverMs', ...USER_METRICS],
  arms: [
    { id: 'sidecar', label: 'sidecars', runs: 'reference', measure: REFERENCE_RUN },
    { id: 'daemonset', label: 'DaemonSets', runs: { field: 'variant' }, measure: { matrix: 'daemonset', variants: ['daemonset'] } },
    { id: 'docker', label: 'sidecars on Docker', runs: { field: 'runtime', value: 'docker' }, measure: { matrix: 'docker-runtime', variants: ['docker-runtime'] } },
    {
      id: 'docker-daemonset',
      label: 'DaemonSets on Docker',
      runs: { field: 'runtime', value: 'docker', with: { variant: 'daemonset' } },
      measure: { matrix: 'docker-runtime+daemonset', variants: ['docker-runtime', 'daemonset'] },
    },
  ],
  pairs: [
    ['sidecar', 'daemonset'],
    ['docker', 'docker-daemonset'],
  ],
  tally: true,
  trail: ({ arms, refs }) => preventionFindings(arms, refs).map((f) => ({ ...f, kind: 'note' })),
};
