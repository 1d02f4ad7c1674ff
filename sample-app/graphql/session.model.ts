import { Field, ID, ObjectType } from '@nestjs/graphql';

/** One of the signed-in user's sessions, as the GraphQL API lists it. */
@ObjectType('Session')
export class SessionModel {
  @Field(() => ID, { description: "The session's public id (never its key)." })
  id!: string;

  @Field(() => String, { nullable: true, description: '"Chrome on Windows 11", or null when unknown.' })
  device!: string | null;

  @Field(() => String, { nullable: true, description: '"London, United Kingdom", or null when unknown.' })
  location!: string | null;

  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Field(() => Date)
  lastActivity!: Date;

  @Field({ description: 'Whether it is the session of this request.' })
  current!: boolean;
}
