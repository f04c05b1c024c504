import { TokenwardError } from '@tokenward/client/api';
import { retryAfterSeconds } from '../api/tokenward';

/**
 * The sentence to show a person for a failed action. The API's own message is preferred: it is
 * written for people and never contains a secret. Transport problems get their own words.
 */
export function errorText(error: unknown): string {
  if (error instanceof TokenwardError) {
    if (error.status === 0) {
      return 'The Tokenward server could not be reached. Check your connection and try again.';
    }
    if (error.status === 401 && error.code !== 'invalid_credentials') {
      return 'Your session has expired. Sign in again.';
    }
    if (error.code === 'csrf_failed') {
      return 'The security check of this page failed (the session may have changed in another tab). Reload the page and try again.';
    }
    if (error.status === 429) {
      const wait = retryAfterSeconds(error);
      return wait ? `${error.message} Try again in ${formatWait(wait)}.` : error.message;
    }
    // Not the API's error shape (a proxy or gateway answered): the client names it by status.
    if (error.status >= 500 && error.code === `http_${error.status}`) {
      return `The server could not handle the request (HTTP ${error.status}). Try again shortly.`;
    }
    if (error.code === 'route_not_found') {
      return 'This server does not offer this feature yet (the API route is missing). Update Tokenward.';
    }
    return error.message;
  }
  if (error instanceof Error && error.message) return `Something went wrong: ${error.message}`;
  return 'Something went wrong.';
}

function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** Whether an error means "you may not do this" (so a page can say so instead of failing). */
export function isForbidden(error: unknown): boolean {
  return error instanceof TokenwardError && error.status === 403;
}
