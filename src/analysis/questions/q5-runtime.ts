import { pooledNote, pressureFindings, runtimeFindings } from '../answer-findings.ts';
import { USER_METRICS } from '../catalog.ts';
import type { QuestionDef } from './types.ts';

export const q5: QuestionDef = {
  id: 'q5',
  title: 'Is the shared runtime daemon the single point of failure?',
  question: 'The runtime\u2019s own CPU during the flood and its relation to kubelet health.',
  baseArm: 'all',
  metrics: ['runtimeCpuPeak', 'kubeletCpuPeak', 'shimsCpuPeak', 'maxNotReady', 'maxPressure', ...USER_METRICS],
  arms: [{ id: 'all', label: 'all runs', runs: 'all', measure: { command: '`npx lab matrix`' } }],
  // Every run of the scenario pooled: there is nothing to compare with.
  compare: false,
  lead: ({ refs }) => [...pooledNote(refs('all')), ...runtimeFindings(refs('all')), ...pressureFindings(refs('all'), 'runs')],
};
