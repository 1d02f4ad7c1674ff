import type { SampleAppOptions } from '../../sample-app/app.module.js';
import { SIGN_IN_LIMITS } from '../../sample-app/auth/sign-in-limits.js';

/**
 * scrypt at N=2^10: a few milliseconds a hash, where OWASP's N=2^17 (the sample app's
 * default) takes 0.1 to 0.7 s. For the suites that sign in often; what the hashes are made
 * of is checked at the real cost in sample-app/users/password-hash.spec.ts and
 * test/password-hashes.e2e-spec.ts.
 */
export const TEST_SCRYPT_COST = { N: 2 ** 10, r: 8, p: 1 };

/**
 * `AppModule.forRoot()` options for the suites that sign in often and check something else
 * than the sign-in's defences: cheap hashes, and the sign-in limits ×100, as these suites sign
 * alice in a dozen times a minute from one address. test/sign-in-throttling.e2e-spec.ts checks
 * the real limits.
 */
export const FAST_SIGN_INS = {
  scryptCost: TEST_SCRYPT_COST,
  signInLimits: SIGN_IN_LIMITS.map((throttler) => ({ ...throttler, limit: Number(throttler.limit) * 100 })),
} satisfies SampleAppOptions;
