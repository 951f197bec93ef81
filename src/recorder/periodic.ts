/**
 * Runs `tick` every `periodMs` without overlap: a slow probe (Consul drowning) delays the next one instead
 * of piling up requests on the thing being measured. The slowness itself is recorded by the probe.
 */
export class Periodic {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly periodMs: number,
    private readonly tick: () => Promise<void> | void,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    const loop = async () => {
      if (this.#stopped) return;
      const started = Date.now();
      this.#running = (async () => {
        try {
          await this.tick();
        } catch (err) {
          this.onError(err);
        }
      })();
      await this.#running;
      if (this.#stopped) return;
      this.#timer = setTimeout(loop, Math.max(0, this.periodMs - (Date.now() - started)));
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }
}
