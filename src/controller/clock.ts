/** Sleeps that an abort (Ctrl-C, SIGTERM) cuts short, so the controller reaches its `finally` at once. */
export class AbortableClock {
  readonly #ac = new AbortController();

  get aborted(): boolean {
    return this.#ac.signal.aborted;
  }

  /** For waits of their own that must end when the run is aborted (the flap's sleeps). */
  get signal(): AbortSignal {
    return this.#ac.signal;
  }

  get reason(): string {
    return String(this.#ac.signal.reason ?? '');
  }

  abort(reason: string): void {
    if (!this.aborted) this.#ac.abort(reason);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.aborted || ms <= 0) return resolve();
      const timer = setTimeout(done, ms);
      const signal = this.#ac.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
