import { lingerFindings } from '../answer-findings.ts';
import { USER_METRICS } from '../catalog.ts';
import { REFERENCE_RUN, type QuestionDef } from './types.ts';

export const q2: QuestionDef = {
  id: 'q2',
  title: 'Why did the gossip not calm down?',
  question: 'After Kubernetes settled, do failed members linger, and do reconnect timeouts, leave-on-terminate or gossip encryption clear them?',
  baseArm: 'baseline',
  metrics: ['poolPeakFailed', 'failedAtEnd', 'failedSettleMs', 'poolSizeBackMs', 'gossipPeak', 'consulP99Observe', 'vaultP99Observe', 'timeToRecoverMs', ...USER_METRICS],
  arms: [
    { id: 'baseline', label: 'no remedy', runs: 'reference', measure: REFERENCE_RUN },
    { id: 'gossip-encryption', label: 'gossip encryption turned on after the flood', runs: { field: 'remedy' }, measure: { matrix: 'gossip-encryption', variants: ['gossip-encryption'] } },
    { id: 'leave-on-terminate', label: 'leave on terminate', runs: { field: 'leaveOnTerminate' }, measure: { matrix: 'leave-on-terminate', variants: ['leave-on-terminate'] } },
    { id: 'short-reconnect', label: 'short reconnect timeout', runs: { field: 'advertiseReconnectTimeoutMs' }, measure: { matrix: 'short-reconnect', variants: ['short-reconnect'] } },
  ],
  lead: ({ arms }) => lingerFindings(arms),
};
