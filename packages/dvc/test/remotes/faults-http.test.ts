// The fault contract (fault-contract.ts) against the http test server, through the fault-injecting proxy.
import { faultContract } from './fault-contract.js';
import { httpFaults } from './fault-backends.js';

faultContract(httpFaults());
