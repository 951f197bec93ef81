import { splitFindings } from '../answer-findings.ts';
import { USER_METRICS } from '../catalog.ts';
import { REFERENCE_RUN, type QuestionDef } from './types.ts';

export const q4: QuestionDef = {
  id: 'q4',
  title: 'Several small clusters or one large?',
  question:
    'Same total capacity (the same workers), split in two clusters or not: how far does the failure reach (blast radius)? Shares count workers, not control planes; \u201cworst cluster\u201d is the cluster hit hardest, which for one cluster is the whole run.',
  baseArm: 'one',
  metrics: [
    'workersNotReadyShare', 'worstClusterNotReadyShare', 'maxNotReady', 'workersPressureShare', 'worstClusterPressureShare', 'clustersReachedShare',
    'rescheduledFraction', 'podsRescheduled', 'largestPoolPeak', 'poolPeakFailedAll', 'worstConsulP99Flood', 'worstVaultP99Flood', 'timeToRecoverMs',
    ...USER_METRICS,
  ],
  arms: [
    { id: 'one', label: 'one cluster', runs: 'reference', measure: REFERENCE_RUN },
    // Labelled like its variant so `--only split-clusters` works unquoted (the answers page prints that command).
    { id: 'two', label: 'two half-size clusters', runs: { field: 'clusters' }, measure: { matrix: 'split-clusters', variants: ['split-clusters'] } },
  ],
  tally: true,
  trail: ({ refs, label }) => splitFindings(refs('one'), refs('two'), { one: label('one'), two: label('two') }),
};
