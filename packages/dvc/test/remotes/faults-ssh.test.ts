// The fault contract (fault-contract.ts) against the ssh test server, through the fault-injecting proxy.
import { faultContract } from './fault-contract.js';
import { sshFaults } from './fault-backends.js';

faultContract(sshFaults());
