/**
 * ipvs.fake.test: the IPVS contract against the in-memory fake kernel.
 */
import { FakeIpvs } from '../fakes/fake-ipvs.js';
import { ipvsContract } from './ipvs.contract.js';

ipvsContract('fake kernel', () => Promise.resolve(new FakeIpvs()));
