/** Polls `url` every 50 ms until stopped; stop() resolves with the slowest answer, ms. */
export function watchLatency(url: string): { stop(): Promise<number> } {
  let slowest = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const t0 = performance.now();
      await fetch(url);
      slowest = Math.max(slowest, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      polling = false;
      await poller;
      return slowest;
    },
  };
}
