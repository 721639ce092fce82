// Pure: the words of the outage and recovery notifications. No timestamps in the text — the
// notification carries its own time, which the SPA shows in the reader's zone — and durations
// measured from the failure to the moment the server came back, not to when the recovery was
// believed (that is a minute later by design).
import type { OutageKind } from './health.transitions.js';

export interface NoticeServer { name: string; email: string; host: string | null; port: number | null }

/** "3 s", "4 min", "2 h 5 min", "3 days": rounded the way people say it. */
export function formatDuration(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.round(h / 24)} days`;
}

function where(server: NoticeServer): string {
  return server.host ? `${server.host}${server.port ? `:${server.port}` : ''}` : server.email;
}

function sentence(text: string): string {
  const t = text.trim();
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

const times = (count: number) => (count === 2 ? 'twice' : `${count} times`);

/** The outage notification; `episodeMs` is how long ago the outage's first failure was. */
export function outageNotice(kind: OutageKind, server: NoticeServer, facts: { reason: string | null; count: number; episodeMs: number }): { title: string; body: string } {
  const reason = facts.reason ? ` ${sentence(facts.reason)}` : '';
  const repeats = facts.count > 1 ? ` It has gone down ${times(facts.count)} in the last ${formatDuration(facts.episodeMs)}.` : '';
  if (kind === 'AUTH_FAILED') {
    return {
      title: `${server.name}: sign-in refused`,
      body: `The mail server refused Mailroom's credentials for ${server.email}.${reason} New mail is not read until the password or OAuth sign-in is fixed in the server settings.${repeats}`,
    };
  }
  return {
    title: `${server.name} is unreachable`,
    body: `Mailroom cannot reach ${where(server)} for ${server.email}.${reason} New mail waits on the server and is read when it is back.${repeats}`,
  };
}

/** The recovery notification; `downMs` from the latest failure until the server answered again. */
export function recoveryNotice(kind: OutageKind, server: NoticeServer, facts: { downMs: number; count: number; episodeMs: number }): { title: string; body: string } {
  const what = kind === 'AUTH_FAILED' ? 'Sign-in was refused' : 'It was unreachable';
  const repeats = facts.count > 1 ? ` (down ${times(facts.count)} in the last ${formatDuration(facts.episodeMs)})` : '';
  return {
    title: kind === 'AUTH_FAILED' ? `${server.name}: sign-in works again` : `${server.name} is reachable again`,
    body: `Mailroom reads ${server.email} again (${where(server)}). ${what} for ${formatDuration(facts.downMs)}${repeats}. Mail that arrived meanwhile is being turned into tickets.`,
  };
}
