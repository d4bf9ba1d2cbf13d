// The fault contract (fault-contract.ts) against the webhdfs test server, through the fault-injecting proxy.
import { faultContract } from './fault-contract.js';
import { webhdfsFaults } from './fault-backends.js';

faultContract(webhdfsFaults());
