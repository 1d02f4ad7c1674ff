import { Module } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import { SessionsResolver } from './sessions.resolver.js';

/**
 * GraphQL at POST /graphql, code first, on Express and Fastify. Apollo's CSRF prevention stays
 * on (its default), beside the module's Origin check, which runs first.
 */
@Module({
  imports: [GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, graphiql: false })],
  providers: [SessionsResolver],
})
export class SessionsGraphqlModule {}
