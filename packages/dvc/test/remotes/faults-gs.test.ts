// The fault contract (fault-contract.ts) against the gs test server, through the fault-injecting proxy.
import { faultContract } from './fault-contract.js';
import { gsFaults } from './fault-backends.js';

faultContract(gsFaults());
