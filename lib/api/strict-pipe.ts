import { ValidationPipe } from '@nestjs/common';

/** Unknown parameters are refused: a mistyped filter must not widen a list silently. */
export const strictPipe = () => new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true });
