import { BadRequestException, Injectable, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';

/** Deeper than any body of this app: a login is one level. */
export const MAX_JSON_DEPTH = 32;

/**
 * The app's ValidationPipe, which first answers 400 to a body nested deeper than
 * `MAX_JSON_DEPTH`: class-transformer walks a body recursively and overflows the stack at
 * about 2,000 levels, so 4 KB of brackets would otherwise be a 500 on every route that takes
 * a body. In the pipe rather than a middleware: on Fastify, Nest middleware runs before the
 * body is parsed.
 */
@Injectable()
export class JsonDepthValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && nestsDeeperThan(value, MAX_JSON_DEPTH)) {
      throw new BadRequestException(`The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels.`);
    }
    return super.transform(value, metadata);
  }
}

/** Whether `value` nests arrays and objects more than `limit` deep; a loop, not recursion, for the same reason. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return false;
}

/** The app's pipe (`APP_PIPE`), and the sign-in guard's check of the body, which runs before pipes. */
export function validationPipe(): JsonDepthValidationPipe {
  return new JsonDepthValidationPipe({ whitelist: true });
}
