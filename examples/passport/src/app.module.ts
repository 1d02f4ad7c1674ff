import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { UserSessionsModule } from 'nestjs-user-sessions';
import { AuthModule } from './auth/auth.module.js';
import { User } from './users/user.entity.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule {
  /** The app on `database` (main.ts: a SQLite file; the tests: each database). */
  static forRoot(database: TypeOrmModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({ ...database, autoLoadEntities: true, synchronize: true } as TypeOrmModuleOptions),
        // In place of app.use(session({ ... })): req.session, over the sessions table.
        UserSessionsModule.forRoot({ userIdType: 'number', userEntity: () => User, expressSessionApi: true }),
        UsersModule,
        AuthModule,
      ],
    };
  }
}
