import { wholeApiSuite } from './whole-api';

wholeApiSuite('26.10-rc0', 'committed');
