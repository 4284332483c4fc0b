/**
 * Moves focus to the element with `id` once React has rendered it: after a list item moves, a form opens or
 * closes, the button the user pressed may have left the page, and keyboard users would start again from the top.
 */
export function focusSoon(id: string): void {
  window.requestAnimationFrame(() => document.getElementById(id)?.focus());
}
