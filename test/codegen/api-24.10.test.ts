import { wholeApiSuite } from './whole-api';

wholeApiSuite('24.10');
