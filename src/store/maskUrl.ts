/** Passwords out of URLs; no imports, so the CLI can use it without loading ioredis. */

/**
 * The URL with its password replaced by `***`, for logs, errors and health answers: the userinfo of any form
 * (`redis://user:secret@host`, `redis+sentinel://:secret@h1,h2/name`) and a `password=` query parameter.
 */
export function maskRedisUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*?):([^@/]*)@/i, (_all, scheme: string, user: string, password: string) => (password ? `${scheme}${user}:***@` : _all))
    .replace(/([?&]password=)[^&]*/i, "$1***");
}
