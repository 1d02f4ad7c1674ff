/**
 * Thrown at start-up when the app's TypeORM `DataSource` does not know the `Session` entity:
 * an explicit `entities` list without it, and no `autoLoadEntities`.
 */
export class SessionEntityNotRegisteredError extends Error {
  constructor() {
    super(
      "The TypeORM DataSource does not know the Session entity of nestjs-user-sessions: add it to the entities list " +
        "(entities: [User, Session], with Session imported from 'nestjs-user-sessions'), or set autoLoadEntities: true in TypeOrmModule.forRoot().",
    );
    this.name = 'SessionEntityNotRegisteredError';
  }
}
