import { createRequire } from 'node:module';
// Types only: erased from the JavaScript, so an app without @nestjs/swagger never loads it.
import type * as Swagger from '@nestjs/swagger';

/**
 * @nestjs/swagger is an optional peer: the library's API describes itself in the app's
 * OpenAPI document when the app has it, and everything works the same without it. So no file
 * imports it; they take its decorators from here, where they do nothing when it is absent.
 *
 * Loaded with `require` (as @nestjs/mapped-types loads class-validator), not a top-level
 * `await import()`: a top-level await would stop apps compiled to CommonJS from `require()`-ing
 * the library. Node's `require` of an ES module (@nestjs/swagger 12) or CommonJS one (11)
 * returns the very module the app imports, so the metadata lands where SwaggerModule looks.
 */
const swagger = loadSwagger();

function loadSwagger(): typeof Swagger | null {
  try {
    return createRequire(import.meta.url)('@nestjs/swagger') as typeof Swagger;
  } catch (error) {
    // Not installed. Anything else (installed but broken) is the app's to see and fix.
    if ((error as NodeJS.ErrnoException)?.code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
}

/** A decorator factory of @nestjs/swagger, or one whose decorators do nothing. */
function decorator<Factory>(factory: Factory | undefined): Factory {
  return factory ?? ((() => () => undefined) as Factory);
}

export const ApiTags = decorator(swagger?.ApiTags);
export const ApiOperation = decorator(swagger?.ApiOperation);
export const ApiResponse = decorator(swagger?.ApiResponse);
export const ApiProperty = decorator(swagger?.ApiProperty);
export const ApiPropertyOptional = decorator(swagger?.ApiPropertyOptional);
export const ApiExcludeController = decorator(swagger?.ApiExcludeController);
export type ApiPropertyOptions = Swagger.ApiPropertyOptions;

/**
 * Sets the cookie that a controller's operations (or one of them, `method`) need, in place of the one set before: the
 * cookie name is an option, known at start-up, and the decorator would add one more each time.
 */
export function setApiCookieAuth(controller: Function, cookieName: string, method?: string): void {
  if (swagger === null) return;
  if (method === undefined) {
    Reflect.deleteMetadata(swagger.DECORATORS.API_SECURITY, controller);
    swagger.ApiCookieAuth(cookieName)(controller);
    return;
  }
  const handler = (controller.prototype as Record<string, object>)[method];
  Reflect.deleteMetadata(swagger.DECORATORS.API_SECURITY, handler);
  swagger.ApiCookieAuth(cookieName)(controller.prototype, method, Object.getOwnPropertyDescriptor(controller.prototype, method)!);
}

/**
 * Sets the schema of a DTO property from an option known at start-up, in place of the one set
 * before: the decorator merges into it, and a `format: 'uuid'` would outlive a change of type.
 */
export function setApiProperty(dto: Function, property: string, options: ApiPropertyOptions): void {
  if (swagger === null) return;
  Reflect.deleteMetadata(swagger.DECORATORS.API_MODEL_PROPERTIES, dto.prototype, property);
  swagger.ApiProperty(options)(dto.prototype, property);
}

/** Lets SwaggerModule describe a controller that `@ApiExcludeController()` left out. */
export function includeController(controller: Function): void {
  if (swagger === null) return;
  Reflect.deleteMetadata(swagger.DECORATORS.API_EXCLUDE_CONTROLLER, controller);
}
