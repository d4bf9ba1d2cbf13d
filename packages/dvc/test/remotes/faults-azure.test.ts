// The fault contract (fault-contract.ts) against the azure test server, through the fault-injecting proxy.
import { faultContract } from './fault-contract.js';
import { azureFaults } from './fault-backends.js';

faultContract(azureFaults());
