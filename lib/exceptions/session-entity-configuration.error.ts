/**
 * Thrown when the `Session` entity is configured twice in one process with different
 * shapes (table name, user id type, user entity): TypeORM reads one shape per class.
 */
export class SessionEntityConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SessionEntityConfigurationError';
  }
}
