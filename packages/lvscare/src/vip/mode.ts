// What each --mode puts in the kernel around the virtual server, kept right every interval: the
// contract the daemon and the modes share (apart from the modes, so that none imports the chooser).
import type { CareConfig } from '../config/care-config.js';

export interface VipSetup {
  readonly mode: CareConfig['mode'];
  /**
   * Puts the mode's state in place. Returns the repairs made: kinds of things that were missing or
   * wrong after they had been set up once (the first set-up is not a repair).
   */
  ensure(): Promise<string[]>;
  /** Removes what the mode set up; missing pieces are fine. */
  clean(): Promise<void>;
}

/**
 * A set-up that failed part-way: `repairs` are what it did put right before failing, so they are
 * still counted.
 */
export class VipSetupError extends Error {
  constructor(
    message: string,
    readonly repairs: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'VipSetupError';
  }
}
