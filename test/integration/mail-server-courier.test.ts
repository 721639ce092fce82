import { startCourier } from '../testkit/services/courier.ts';
import { debianServersUnavailable } from '../testkit/services/debian-packages.ts';
import { mailServerSuite } from './mail-server-suite.ts';

mailServerSuite('Courier-IMAP 5.0 + Courier POP3', startCourier, debianServersUnavailable());
