import { preventionFindings, pressureFindings, saturationFindings } from '../answer-findings.ts';
import { USER_METRICS } from '../catalog.ts';
import { REFERENCE_RUN, type QuestionDef } from './types.ts';

export const q1: QuestionDef = {
  id: 'q1',
  title: 'Why could log shippers overload the node?',
  question: 'Which part saturates (runtime, kubelet, shims, the shipper), at what flood rate and buffer size, and which shipper behaviour keeps nodes healthy (no NotReady, no memory, disk or PID pressure)?',
  baseArm: 'naive',
  metrics: ['maxNotReady', 'notReadyNodeSeconds', 'maxPressure', 'pressureNodeSeconds', 'runtimeCpuPeak', 'kubeletCpuPeak', 'shimsCpuPeak', 'nodeCpuPeak', 'peakBuffered', 'peakDeliveredRate', 'deliveredRatio', 'duplicates', 'dropped', 'lostWithPods', 'timeToRecoverMs', ...USER_METRICS],
  arms: [
    { id: 'naive', label: 'naive shipper', runs: 'reference', measure: REFERENCE_RUN },
    { id: 'backoff', label: 'jittered backoff', runs: { field: 'shipperMode', value: 'backoff' }, measure: { matrix: 'backoff', variants: ['shipper-backoff'] } },
    { id: 'ratelimited', label: 'rate-limited', runs: { field: 'shipperMode', value: 'ratelimited' }, measure: { matrix: 'ratelimited', variants: ['shipper-ratelimited'] } },
    { id: 'drop-oldest', label: 'bounded, drop oldest', runs: { field: 'shipperMode', value: 'drop-oldest' }, measure: { matrix: 'drop-oldest', variants: ['shipper-drop-oldest'] } },
    { id: 'kubelet-api', label: 'naive, via kubelet logs API', runs: { field: 'shipperSource', value: 'kubelet-api' }, measure: { matrix: 'kubelet-api', variants: ['kubelet-api'] } },
  ],
  lead({ arms, refs }) {
    const naive = refs('naive').concat(refs('kubelet-api'));
    return [...saturationFindings(naive), ...pressureFindings(naive, 'naive runs'), ...preventionFindings(arms, refs)];
  },
};
