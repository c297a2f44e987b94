/**
 * Whether the journal takes writes. A full or read-only disk makes the agent not ready (every
 * ADD would fail "try again later" anyway); every retry.journalOpen.retryMs (10 s) a probe write finds out whether space came
 * back, so readiness returns without waiting for the next pod.
 */
import type { Logger } from '../log/logger.js';
import type { Journal } from './journal.js';
import { DEFAULT_RETRY_POLICIES } from '../retry/index.js';

export class JournalHealth {
  private timer: NodeJS.Timeout | undefined;
  private reported: string | undefined;

  constructor(
    private readonly journal: Journal,
    private readonly logger: Logger,
    private readonly probeEveryMs = DEFAULT_RETRY_POLICIES.journalOpen.retryMs,
  ) {}

  writable(): boolean {
    return this.journal.unwritableReason() === undefined;
  }

  start(): void {
    this.timer = setInterval(() => this.check(), this.probeEveryMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private check(): void {
    const reason = this.journal.unwritableReason();
    if (reason && this.reported !== reason.message) {
      this.reported = reason.message;
      this.logger.error('journal cannot be written; not ready until it can', {
        err: reason.message,
        retryInSeconds: this.probeEveryMs / 1000,
      });
    }
    if (!reason || !this.journal.probeWrite()) return;
    this.reported = undefined;
    this.logger.info('journal writable again; ready');
  }
}
