import * as gossipEncryption from './gossip-encryption.ts';
import * as kafkaNetwork from './kafka-network.ts';

/** One small protocol per fault (Jepsen's nemesis): apply it, undo it, ask whether it is in effect. */
export interface Fault<P> {
  inject(p: P): Promise<void>;
  heal(p: P): Promise<void>;
  isActive(p: P): Promise<boolean>;
}

/** Every fault the lab knows, by the name its journal entries carry. */
export const FAULTS: Record<string, Fault<any>> = {
  'kafka-cut': kafkaNetwork,
  'gossip-encryption': gossipEncryption,
};
