import { notReadyCauseFindings, pressureFindings, runtimeFindings } from '../answer-findings.ts';
import { USER_METRICS } from '../catalog.ts';
import { REFERENCE_RUN, type QuestionDef } from './types.ts';

/**
 * Docker (dockershim, as in 2019) against containerd with the same workload, and DaemonSets on Docker.
 * The runtime comparison is naive sidecars tailing files on both; the second pair changes only where the
 * Docker sidecars read their logs (through dockerd's API, as 2019's collectors did), the path the
 * outage notes suspect. DaemonSet against sidecar on Docker is question 3's second pair, so the DaemonSet
 * arm is described here, not compared twice.
 */
export const q5: QuestionDef = {
  id: 'q5',
  title: 'Is the shared runtime daemon the single point of failure?',
  question:
    'Docker runtime vs containerd, same workload (naive sidecars), and DaemonSets on Docker: does a node go NotReady, with which condition message, and how did the runtime, the kubelet\u2019s PLEG relists and its Lease renewals fare in the flood?',
  baseArm: 'containerd',
  metrics: [
    'maxNotReady', 'firstNotReadyMs', 'notReadyNodeSeconds', 'runtimeCpuPeak', 'runtimeProbeP99Flood', 'plegRelistP99Flood', 'plegLongestIntervalFlood',
    'leaseGapMax', 'podsRescheduled', 'lineageDepth', 'poolPeak', 'poolPeakFailed', ...USER_METRICS,
  ],
  arms: [
    { id: 'containerd', label: 'containerd, naive sidecars', runs: 'reference', measure: REFERENCE_RUN },
    { id: 'docker', label: 'Docker, naive sidecars', runs: { field: 'runtime', value: 'docker' }, measure: { matrix: 'docker-runtime', variants: ['docker-runtime'] } },
    {
      id: 'docker-api',
      label: 'Docker, naive sidecars reading through dockerd\u2019s API',
      runs: { field: 'runtime', value: 'docker', with: { shipperSource: 'docker-api' } },
      measure: { matrix: 'docker-runtime+docker-api-logs', variants: ['docker-runtime', 'docker-api-logs'] },
    },
    {
      id: 'docker-daemonset',
      label: 'Docker, DaemonSets',
      runs: { field: 'runtime', value: 'docker', with: { variant: 'daemonset' } },
      measure: { matrix: 'docker-runtime+daemonset', variants: ['docker-runtime', 'daemonset'] },
    },
  ],
  pairs: [
    ['containerd', 'docker'],
    ['docker', 'docker-api'],
  ],
  tally: true,
  lead: ({ arms, refs }) => notReadyCauseFindings(arms, refs),
  // Per arm (a set-up's runs are repeats; arms are not pooled): the runtime's CPU before each NotReady
  // onset, and node pressure, the other way a kubelet ends pods while its node stays Ready.
  trail: ({ arms, refs, label }) =>
    arms
      .filter((a) => a.runs.length)
      .flatMap((a) => [
        ...runtimeFindings(refs(a.arm)).map((f) => ({ ...f, kind: 'note' as const, text: `${label(a.arm)}: ${f.text}` })),
        ...pressureFindings(refs(a.arm), `${label(a.arm)} runs`),
      ]),
};
