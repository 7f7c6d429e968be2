/** A daemon API reply that is not ok: its error code and message, and the whole reply. */
import type { ResponseMsg } from './proto';

export class ApiRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly response: ResponseMsg,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}
