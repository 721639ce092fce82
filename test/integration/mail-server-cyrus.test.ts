import { startCyrus } from '../testkit/services/cyrus.ts';
import { debianServersUnavailable } from '../testkit/services/debian-packages.ts';
import { mailServerSuite } from './mail-server-suite.ts';

mailServerSuite('Cyrus IMAP 3.6', startCyrus, debianServersUnavailable());
