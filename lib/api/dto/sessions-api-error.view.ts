import { ApiProperty, ApiResponse } from '../openapi.js';

/**
 * The body of every error the sessions APIs answer: Nest's own shape, so that an app's
 * clients handle these errors like the app's others. Documented for OpenAPI; never built.
 */
export class SessionsApiErrorView {
  @ApiProperty({ type: 'integer', example: 404, description: 'The HTTP status again.' })
  statusCode: number;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'No such session.',
    description: 'What went wrong; a 400 lists every invalid parameter.',
  })
  message: string | string[];

  @ApiProperty({
    type: String,
    required: false,
    example: 'Not Found',
    description: 'The status text; absent when the session could not be saved (503).',
  })
  error?: string;

  @ApiProperty({
    type: Boolean,
    required: false,
    example: true,
    description: 'Only on the 403 of a route that needs a recent password (`requireRecentLogin`): ask for it, then retry.',
  })
  reauthenticate?: boolean;
}

/** An error answer of an operation, for its OpenAPI description. */
export function ApiErrorResponse(status: number, description: string): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, description, type: SessionsApiErrorView });
}

/** Why a state-changing request gets a 403 (see `same-origin.ts`). */
export const CROSS_ORIGIN_REFUSED = 'Refused: sent by a page of another origin (`Origin` or `Referer`; see the `checkOrigin` option).';
export const STORE_UNAVAILABLE = 'The session store (the database) is unavailable; retry shortly.';
export const CROSS_ORIGIN_OR_REAUTHENTICATE =
  `${CROSS_ORIGIN_REFUSED} Or, with \`requireRecentLogin\`, the password was entered too long ago: \`reauthenticate: true\`.`;
