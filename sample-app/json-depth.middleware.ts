import { BadRequestException, Injectable, type NestMiddleware } from '@nestjs/common';

/** Deeper than any body of this app: a login is one level. */
export const MAX_JSON_DEPTH = 32;

/**
 * Answers 400 to a JSON body nested deeper than `MAX_JSON_DEPTH`, before the ValidationPipe
 * sees it: class-transformer walks a body recursively and overflows the stack at about 2,000
 * levels, so 4 KB of brackets would otherwise be a 500 on every route that takes a body.
 */
@Injectable()
export class JsonDepthMiddleware implements NestMiddleware {
  use(request: { body?: unknown }, _response: unknown, next: () => void): void {
    if (nestsDeeperThan(request.body, MAX_JSON_DEPTH)) {
      throw new BadRequestException(`The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels.`);
    }
    next();
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
