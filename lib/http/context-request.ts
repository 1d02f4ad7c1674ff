import type { ExecutionContext } from '@nestjs/common';

/**
 * The HTTP request behind a guard's or a decorator's context: on an HTTP route the first
 * argument (what `switchToHttp().getRequest()` returns, without the three closures it assigns
 * onto the context), in a GraphQL resolver the `req` that @nestjs/apollo puts into the GraphQL
 * context on Express and on Fastify (or a `request`, for a context that names it so). A query or
 * mutation sent over HTTP went through the module's middleware like any route, so its session
 * is there.
 */
export function requestOf<T extends object = object>(context: ExecutionContext): T {
  // A hand-made context in an app's unit test may have no getType(): that is an HTTP one.
  if (context.getType?.<string>() !== 'graphql') return context.getArgByIndex<T>(0);
  const graphqlContext = context.getArgByIndex<{ req?: T; request?: T } | undefined>(2);
  const request = graphqlContext?.req ?? graphqlContext?.request;
  if (!request) {
    throw new Error(
      'UserSessions: the GraphQL context has no `req`. Keep the request in it: `context: ({ req }) => ({ req })` (Apollo), or leave `context` unset.',
    );
  }
  return request;
}
