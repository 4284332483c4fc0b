/**
 * The member's token arrives in the URL fragment (`#token=…`), which browsers never send to servers or in
 * Referer headers. It is taken out of the address bar at once so it does not linger in history, bookmarks
 * or screenshots, and kept for this tab only so a reload still works until it expires.
 */
const storageKey = 'trouw.portal.token';

export function takeToken(win: Window = window): string | null {
  const fragment = new URLSearchParams(win.location.hash.replace(/^#/, ''));
  const fromFragment = fragment.get('token');
  if (fromFragment) {
    fragment.delete('token');
    const rest = fragment.toString();
    win.history.replaceState(win.history.state, '', `${win.location.pathname}${win.location.search}${rest ? `#${rest}` : ''}`);
    try {
      win.sessionStorage.setItem(storageKey, fromFragment);
    } catch {
      // Storage is often blocked in third-party iframes; the token then lives in memory only.
    }
    return fromFragment;
  }
  try {
    return win.sessionStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

export function forgetToken(win: Window = window): void {
  try {
    win.sessionStorage.removeItem(storageKey);
  } catch {
    // Nothing stored.
  }
}

/** `/p/koffiebar` → `koffiebar`. */
export function slugOf(pathname: string): string | null {
  const match = /^\/p\/([^/]+)\/?$/.exec(pathname);
  return match ? decodeURIComponent(match[1]!) : null;
}
