import type { Fault } from './fault.ts';
import { gossipEncryption } from './gossip-encryption.ts';
import { kafkaCut } from './kafka-network.ts';

export type { Fault } from './fault.ts';

/** Every fault the lab knows, by the name its journal entries carry. */
export const FAULTS: Record<string, Fault<any>> = {
  'kafka-cut': kafkaCut,
  'gossip-encryption': gossipEncryption,
};
