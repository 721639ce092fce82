// The words of outage and recovery notifications: durations as people say them, measured from the
// failure to the moment the server came back, and no raw timestamps.
import { describe, expect, it } from 'vitest';
import { formatDuration, outageNotice, recoveryNotice } from '../../server/src/modules/health/health.wording.ts';

const server = { name: 'Support', email: 'support@example.test', host: 'imap.example.test', port: 993 };
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

describe('health notification wording', () => {
  it('says durations the way people do', () => {
    expect(formatDuration(0)).toBe('1 s');
    expect(formatDuration(3_200)).toBe('3 s');
    expect(formatDuration(65_000)).toBe('65 s');
    expect(formatDuration(4 * 60_000)).toBe('4 min');
    expect(formatDuration(2 * 3_600_000)).toBe('2 h');
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000)).toBe('2 h 5 min');
    expect(formatDuration(3 * 86_400_000)).toBe('3 days');
  });

  it('a 3 s outage announced a minute later says it lasted 3 s, without timestamps', () => {
    const { title, body } = recoveryNotice('SERVER_UNREACHABLE', server, { downMs: 3_000, count: 1, episodeMs: 63_000 });
    expect(title).toBe('Support is reachable again');
    expect(body).toContain('It was unreachable for 3 s.');
    expect(body).not.toMatch(/65 s|63 s/);
    expect(body).not.toMatch(ISO);
  });

  it('a sign-in outage recovers in its own words', () => {
    const { title, body } = recoveryNotice('AUTH_FAILED', server, { downMs: 120_000, count: 1, episodeMs: 180_000 });
    expect(title).toBe('Support: sign-in works again');
    expect(body).toContain('Sign-in was refused for 2 min.');
  });

  it('a flapping server says how often in how long, not since when', () => {
    const outage = outageNotice('SERVER_UNREACHABLE', server, { reason: 'connection refused', count: 3, episodeMs: 4 * 60_000 });
    expect(outage.title).toBe('Support is unreachable');
    expect(outage.body).toContain('imap.example.test:993');
    expect(outage.body).toContain('Connection refused.');
    expect(outage.body).toContain('It has gone down 3 times in the last 4 min.');
    expect(outage.body).not.toMatch(ISO);
    const back = recoveryNotice('SERVER_UNREACHABLE', server, { downMs: 10_000, count: 2, episodeMs: 200_000 });
    expect(back.body).toContain('It was unreachable for 10 s (down twice in the last 3 min).');
  });

  it('names credentials, not the network, for a refused sign-in', () => {
    const { title, body } = outageNotice('AUTH_FAILED', { ...server, host: null, port: null }, { reason: null, count: 1, episodeMs: 0 });
    expect(title).toBe('Support: sign-in refused');
    expect(body).toMatch(/refused Mailroom's credentials for support@example.test\. New mail is not read/);
  });
});
