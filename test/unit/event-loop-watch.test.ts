import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EventLoopWatch } from '../../server/src/lib/event-loop-watch.ts';
import type { Logger } from '../../server/src/lib/logger.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuMs = () => { const { user, system } = process.threadCpuUsage(); return (user + system) / 1_000; };
/** Runs JavaScript on this thread for `ms` of CPU (not wall time: on a loaded host that would be less CPU). */
function holdCpu(ms: number): void {
  const until = cpuMs() + ms;
  while (cpuMs() < until) { /* hold the event loop */ }
}
const BLOCKED = 'the event loop was blocked longer than its budget';
const WAITED = 'the event loop waited for the CPU longer than its budget';

describe('EventLoopWatch', () => {
  it('logs a stretch over the 200 ms budget with its length and reports it as the recent worst', async () => {
    const lines: { blockedMs?: number; msg?: string }[] = [];
    const logger = { warn: (fields: object, msg: string) => lines.push({ ...fields, msg }), info: () => {} } as unknown as Logger;
    const watch = new EventLoopWatch(logger);
    watch.start();
    try {
      await sleep(100);
      holdCpu(350);
      await sleep(1_200);
      expect(watch.worstRecentMs()).toBeGreaterThanOrEqual(300);
      expect(watch.worstRecentHeldMs()).toBeGreaterThanOrEqual(300);
      const blocked = lines.filter((l) => l.msg === BLOCKED);
      expect(blocked).toHaveLength(1);
      expect(blocked[0]!.blockedMs).toBeGreaterThanOrEqual(300);
    } finally {
      watch.stop();
    }
  });

  it('tells a process the machine did not run (stopped 400 ms) from one that held its loop', async () => {
    // A process of its own, so that it can be stopped: SIGSTOP is what a starved process looks like from inside.
    const watchUrl = new URL('../../server/src/lib/event-loop-watch.ts', import.meta.url).href;
    const script = `
      import { EventLoopWatch } from ${JSON.stringify(watchUrl)};
      const log = (level) => (fields, msg) => console.log(JSON.stringify({ level, ...fields, msg }));
      const watch = new EventLoopWatch({ warn: log('warn'), info: log('info') });
      watch.start();
      process.stdin.on('data', (d) => {
        if (String(d).includes('hold')) { const cpu = () => { const u = process.threadCpuUsage(); return (u.user + u.system) / 1000; }; const until = cpu() + 350; while (cpu() < until) {} }
        if (String(d).includes('report')) { console.log(JSON.stringify({ delay: watch.worstRecentMs(), held: watch.worstRecentHeldMs() })); process.exit(0); }
      });
      console.log('ready');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += String(d); });
    try {
      const until = Date.now() + 30_000;
      while (!out.includes('ready') && Date.now() < until) await sleep(20);
      expect(out).toContain('ready');
      await sleep(300);
      child.kill('SIGSTOP');
      await sleep(400);
      child.kill('SIGCONT');
      await sleep(1_300);
      const afterStop = out.split('\n').filter(Boolean).slice(1).map((l) => JSON.parse(l) as { msg?: string; delayMs?: number });
      expect(afterStop.filter((l) => l.msg === BLOCKED)).toEqual([]);
      expect(afterStop.filter((l) => l.msg === WAITED)).toHaveLength(1);
      expect(afterStop.find((l) => l.msg === WAITED)!.delayMs).toBeGreaterThanOrEqual(350);

      child.stdin.write('hold\n');
      await sleep(1_300);
      child.stdin.write('report\n');
      await once(child, 'exit');
      const lines = out.split('\n').filter(Boolean).slice(1).map((l) => JSON.parse(l) as { msg?: string; blockedMs?: number; delay?: number; held?: number });
      const blocked = lines.filter((l) => l.msg === BLOCKED);
      expect(blocked).toHaveLength(1);
      expect(blocked[0]!.blockedMs).toBeGreaterThanOrEqual(300);
      const report = lines.at(-1)!;
      expect(report.delay).toBeGreaterThanOrEqual(350);
      expect(report.held).toBeGreaterThanOrEqual(300);
      expect(report.held).toBeLessThan(report.delay!);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
