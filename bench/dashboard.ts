// The dashboard under load: 200 incoming servers (half disabled, half pointing at a closed port
// so their cards show live errors) and 10,000 tickets with their email audit entries, seeded
// through the service layer and SQL. Measured in headless Chromium against the built SPA
// (web/dist): from navigation start until the page shows its data and until the main thread is
// first idle afterwards ("interactive": a click is handled at once). Baseline = the same pages
// of an empty installation in the same run. Also prints the JS bundle size, gzip.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { categories, emailAudit, requesters, technicianGroups, tickets } from '../server/src/db/schema.ts';
import { expectNoGraphQLErrors } from '../test/testkit/client.ts';
import { freePorts } from '../test/testkit/services/util.ts';
import { SERVERS_PATH, launchBrowser, signedInPage, type Browser, type BrowserContext } from '../test/e2e/helpers.ts';
import { fmt, percentile, startApp, type BenchApp } from './common.ts';

const RUNS = Number(process.env.BENCH_DASHBOARD_RUNS ?? 5);
const webDist = path.resolve(import.meta.dirname, '../web/dist');

interface Timing { dataMs: number; idleMs: number }
interface Ready { page: 'servers' | 'requests'; count: number }

/** The servers page draws its cards a page at a time (web/src/composables/useProgressiveList.ts). */
const FIRST_PAGE = 24;

// Runs inside the page. A string, not a function: tsx would wrap a function with helpers the page lacks.
const PAGE_PROBE = `(async ({ page: kind, count }) => {
  const text = () => document.body?.textContent ?? '';
  const shown = () => {
    if (kind === 'servers') {
      // The first page of cards (the rest is drawn as it scrolls into view) and the count of all.
      const summary = document.querySelector('[data-testid="servers-summary"]')?.textContent ?? '';
      return count === 0
        ? text().includes('No incoming email servers yet')
        : document.querySelectorAll('[data-testid="server-card"]').length === Math.min(count, ${FIRST_PAGE}) && summary.includes(count.toLocaleString() + ' server');
    }
    if (count === 0) return text().includes('No requests yet');
    const total = document.querySelector('[data-testid="requests-total"]')?.textContent ?? '';
    return document.querySelectorAll('[data-testid="ticket-row"]').length >= 50 && total.includes(count.toLocaleString());
  };
  const deadline = performance.now() + 30000;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (shown()) {
        const dataMs = performance.now();
        requestIdleCallback(() => resolve({ dataMs, idleMs: performance.now() }));
      } else if (performance.now() > deadline) reject(new Error(kind + ' page never showed its data'));
      else requestAnimationFrame(tick);
    };
    tick();
  });
})`;

/** Loads `url` in a fresh tab and times, inside the page, when its data shows and when the main thread is next idle. */
async function measure(context: BrowserContext, url: string, ready: Ready): Promise<Timing> {
  const page = await context.newPage();
  try {
    await page.goto(url, { waitUntil: 'commit' });
    return (await page.evaluate(`${PAGE_PROBE}(${JSON.stringify(ready)})`)) as Timing;
  } finally {
    await page.close();
  }
}

async function series(context: BrowserContext, url: string, ready: Ready): Promise<{ data: number; idle: number }> {
  await measure(context, url, ready); // warm the HTTP cache and the server's query plans once
  const data: number[] = [];
  const idle: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = await measure(context, url, ready);
    data.push(t.dataMs);
    idle.push(t.idleMs);
  }
  return { data: percentile(data.sort((a, b) => a - b), 50), idle: percentile(idle.sort((a, b) => a - b), 50) };
}

async function seed(app: BenchApp, serverCount: number, ticketCount: number): Promise<void> {
  const db = app.app.services.db;
  const groups = await db.insert(technicianGroups).values(['Service Desk', 'Billing', 'Network', 'Facilities', 'Security'].map((name) => ({ name }))).returning();
  const cats = await db.insert(categories).values(['Hardware', 'Software', 'Accounts', 'Email', 'Other'].map((name) => ({ name }))).returning();
  const [closedPort] = await freePorts(1);

  // Servers through the API (validation, sealing, health rows and connectors as in real use), 20 per request.
  const serverIds: string[] = [];
  for (let start = 0; start < serverCount; start += 20) {
    const batch = Array.from({ length: Math.min(20, serverCount - start) }, (_, k) => start + k);
    const fields = batch
      .map((i) => `s${i}: createIncomingEmailServer(input: $s${i}) { ... on IncomingEmailServerSuccess { server { id } } ... on ValidationError { message } }`)
      .join('\n');
    const vars = Object.fromEntries(
      batch.map((i) => [
        `s${i}`,
        {
          name: `Mailbox ${String(i + 1).padStart(3, '0')}`,
          email: `box${i}@bench.test`,
          protocol: 'IMAP',
          host: '127.0.0.1',
          port: closedPort,
          security: 'NONE',
          password: 'pw',
          enabled: i % 2 === 0,
          pollIntervalSeconds: 600,
          technicianGroupId: groups[i % groups.length]!.id,
        },
      ]),
    );
    // One request per batch of aliased mutations: no typed document can name a variable count.
    const res = expectNoGraphQLErrors(await app.admin.raw(`mutation(${batch.map((i) => `$s${i}: IncomingEmailServerInput!`).join(', ')}) {\n${fields}\n}`, vars));
    for (const i of batch) {
      const id = res[`s${i}`]?.server?.id;
      if (!id) throw new Error(`server ${i}: ${JSON.stringify(res[`s${i}`])}`);
      serverIds.push(id);
    }
  }

  // Tickets and their audit entries straight into the tables, spread over the last 30 days.
  const people = await db
    .insert(requesters)
    .values(Array.from({ length: 500 }, (_, i) => ({ email: `customer${i}@customer.example`, name: `Customer ${i}` })))
    .returning();
  const now = Date.now();
  for (let start = 0; start < ticketCount; start += 1000) {
    const rows = Array.from({ length: Math.min(1000, ticketCount - start) }, (_, k) => {
      const i = start + k;
      return {
        subject: `Request ${i}: ${['Printer jam', 'Cannot sign in', 'VPN drops', 'Invoice question', 'New laptop'][i % 5]}`,
        description: `Hello, this is request ${i}.`,
        requesterId: people[i % people.length]!.id,
        technicianGroupId: groups[i % groups.length]!.id,
        categoryId: cats[i % cats.length]!.id,
        incomingServerId: serverIds[i % serverIds.length]!,
        status: (i % 7 === 0 ? 'CLOSED' : 'OPEN') as 'OPEN' | 'CLOSED',
        createdAt: new Date(now - (ticketCount - i) * ((30 * 86_400_000) / ticketCount)),
      };
    });
    const created = await db.insert(tickets).values(rows).returning({ id: tickets.id, createdAt: tickets.createdAt, serverId: tickets.incomingServerId, subject: tickets.subject });
    await db.insert(emailAudit).values(
      created.map((t, k) => ({
        at: t.createdAt,
        serverId: t.serverId,
        fromAddress: `customer${(start + k) % 500}@customer.example`,
        subject: t.subject,
        outcome: 'TICKET_CREATED' as const,
        reason: 'routed to the server defaults',
        ticketId: t.id,
      })),
    );
  }
}

function bundleSizes(): { totalGzip: number; largestRouteGzip: number; files: number } {
  const assets = path.join(webDist, 'assets');
  const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
  const gz = (f: string) => gzipSync(readFileSync(path.join(assets, f)), { level: 9 }).length;
  const sizes = new Map(js.map((f) => [f, gz(f)]));
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  // What the servers page needs: the files index.html and its route chunk pull in.
  const index = readFileSync(path.join(webDist, 'index.html'), 'utf8');
  const entry = [...index.matchAll(/assets\/([^"]+\.js)/g)].map((m) => m[1]!);
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !sizes.has(file)) return;
    seen.add(file);
    const code = readFileSync(path.join(assets, file), 'utf8');
    for (const m of code.matchAll(/(?:from|import)\s*\(?\s*["']\.\/([^"']+\.js)["']/g)) if (!/View-/.test(m[1]!) || m[1]!.startsWith('IncomingEmailServersView')) visit(m[1]!);
  };
  entry.forEach(visit);
  const route = [...seen].reduce((sum, f) => sum + (sizes.get(f) ?? 0), 0);
  return { totalGzip: total, largestRouteGzip: route, files: js.length };
}

export async function dashboard(serverCount = Number(process.env.BENCH_SERVERS ?? 200), ticketCount = Number(process.env.BENCH_TICKETS ?? 10_000)): Promise<void> {
  let browser: Browser | undefined;
  const app = await startApp();
  try {
    browser = await launchBrowser();
    const { context } = await signedInPage(browser, app.url);
    const baseServers = await series(context, `${app.url}${SERVERS_PATH}`, { page: 'servers', count: 0 });
    const baseRequests = await series(context, `${app.url}/requests`, { page: 'requests', count: 0 });

    const t0 = performance.now();
    await seed(app, serverCount, ticketCount);
    const seedMs = performance.now() - t0;

    const servers = await series(context, `${app.url}${SERVERS_PATH}`, { page: 'servers', count: serverCount });
    const requests = await series(context, `${app.url}/requests`, { page: 'requests', count: ticketCount });
    const size = bundleSizes();

    const line = (label: string, base: { data: number; idle: number }, full: { data: number; idle: number }) =>
      `  ${label.padEnd(10)} data shown ${fmt(full.data).padStart(5)} ms   interactive ${fmt(full.idle).padStart(5)} ms   ` +
      `(empty: ${fmt(base.data)} / ${fmt(base.idle)} ms, ratio ${fmt(full.idle / base.idle, 2)})`;
    console.log(`\ndashboard in Chromium: ${fmt(serverCount)} servers, ${fmt(ticketCount)} tickets (${app.app.services.database.kind}; seeded in ${fmt(seedMs / 1000, 1)} s; median of ${RUNS} loads)`);
    console.log(line('servers', baseServers, servers));
    console.log(line('requests', baseRequests, requests));
    console.log(`  budget     interactive under 1000 ms: servers ${servers.idle < 1000 ? 'yes' : 'NO'}, requests ${requests.idle < 1000 ? 'yes' : 'NO'}`);
    console.log(`  bundle     ${size.files} JS files, ${fmt(size.totalGzip / 1024, 1)} KB gzip in all; servers page loads ${fmt(size.largestRouteGzip / 1024, 1)} KB gzip`);
  } finally {
    await browser?.close();
    await app.stop();
  }
}
