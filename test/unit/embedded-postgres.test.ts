import { describe, expect, it } from 'vitest';
import { EMBEDDED_SETTINGS, logLevelOf, postgresArgs, postmasterPidOf } from '../../server/src/db/embedded-postgres.ts';

describe('embedded PostgreSQL', () => {
  it('runs on the cluster descriptor with every setting on the command line, unix socket only', () => {
    const args = postgresArgs();
    expect(args.slice(0, 2)).toEqual(['-D', '/proc/self/fd/3']);
    expect(args).toContain('listen_addresses=');
    expect(args).toContain('unix_socket_directories=/proc/self/fd/3');
    expect(args.filter((a) => a === '-c')).toHaveLength(Object.keys(EMBEDDED_SETTINGS).length);
    expect(postgresArgs({ shared_buffers: '8MB' })).toEqual(['-D', '/proc/self/fd/3', '-c', 'shared_buffers=8MB']);
  });

  it('logs the server stderr by severity', () => {
    expect(logLevelOf('PANIC:  could not write to file "pg_wal/xlogtemp.1": No space left on device')).toBe('error');
    expect(logLevelOf('FATAL:  the database system is starting up')).toBe('debug'); // our own readiness probes
    expect(logLevelOf('FATAL:  could not open file "global/pg_filenode.map": Permission denied')).toBe('warn');
    expect(logLevelOf('WARNING:  checkpoints are occurring too frequently')).toBe('warn');
    expect(logLevelOf('LOG:  database system is ready to accept connections')).toBe('debug');
    expect(logLevelOf('ERROR:  duplicate key value violates unique constraint "messages_source_key"')).toBe('debug');
  });

  it('reads the postmaster pid from postmaster.pid', () => {
    expect(postmasterPidOf('4242\n/proc/self/fd/3\n1796399122\n5432\n')).toBe(4242);
    expect(postmasterPidOf('')).toBeUndefined();
    expect(postmasterPidOf('garbage\n')).toBeUndefined();
    expect(postmasterPidOf('-1\n')).toBeUndefined();
  });
});
