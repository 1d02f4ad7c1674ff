import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { ScryptCost } from './password-hash.js';

/** The token of the scrypt cost that new password hashes get. */
export const SCRYPT_COST = 'SAMPLE_APP:SCRYPT_COST';

/**
 * Provides `SCRYPT_COST` to `UsersService`, wherever `UsersModule` is imported. Global, as
 * `UsersModule` is imported by several modules and must be the same one in each.
 */
@Global()
@Module({})
export class ScryptCostModule {
  static forRoot(cost: ScryptCost): DynamicModule {
    return { module: ScryptCostModule, providers: [{ provide: SCRYPT_COST, useValue: cost }], exports: [SCRYPT_COST] };
  }
}
