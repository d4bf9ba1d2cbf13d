// The fault contract (fault-contract.ts) against the s3 test server, through the fault-injecting proxy.
import { faultContract } from './fault-contract.js';
import { s3Faults } from './fault-backends.js';

faultContract(s3Faults());
