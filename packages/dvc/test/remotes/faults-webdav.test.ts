// The fault contract (fault-contract.ts) against the webdav test server, through the fault-injecting proxy.
import { faultContract } from './fault-contract.js';
import { webdavFaults } from './fault-backends.js';

faultContract(webdavFaults());
