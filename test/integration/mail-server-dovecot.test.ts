import { getDovecot } from '../testkit/env.ts';
import { dovecotAsTestServer } from '../testkit/services/mail-servers.ts';
import { mailServerSuite } from './mail-server-suite.ts';

// The reference run: the same scenarios against the shared Dovecot.
mailServerSuite('Dovecot 2.3', async () => dovecotAsTestServer(getDovecot()), null);
