/**
 * The widget loader as it runs in the shop's page: plain ES5-era JavaScript kept as a string, so it ships
 * with the compiled server without a bundler or a copy step. `__trouwResizer` is the parent side of
 * @open-iframe-resizer/core, which widget.ts puts in scope.
 */
export const loaderScript = `/*
 * Trouw member widget loader. A shop adds
 *   <script src="https://trouw.example/widget.js" data-program="{slug}" data-token="{member token}" async></script>
 * and the script puts an iframe of the member portal (/p/{slug}?embed=1, on Trouw's origin) where the tag is,
 * sized to its content by the parent side of open-iframe-resizer (MIT), which widget.ts inlines before this script.
 * The token goes in the URL fragment, so it never reaches a server log or a Referer header.
 */
(function () {
  'use strict';
  var script = document.currentScript || document.querySelector('script[data-program][src*="/widget.js"]');
  if (!script) return;
  var slug = script.getAttribute('data-program');
  var token = script.getAttribute('data-token') || '';
  if (!slug) {
    if (window.console) window.console.error('trouw widget: add data-program="{slug}" to the script tag');
    return;
  }
  var origin = new URL(script.src, document.baseURI).origin;
  var iframe = document.createElement('iframe');
  iframe.src = origin + '/p/' + encodeURIComponent(slug) + '?embed=1' + (token ? '#token=' + encodeURIComponent(token) : '');
  iframe.title = script.getAttribute('data-title') || 'Loyalty programme';
  iframe.setAttribute('loading', 'lazy');
  iframe.style.width = '100%';
  iframe.style.border = '0';
  iframe.style.minHeight = '200px';
  iframe.style.display = 'block';
  script.parentNode.insertBefore(iframe, script.nextSibling);
  // Only size messages from the portal's own origin are believed.
  __trouwResizer.initialize({ checkOrigin: [origin] }, iframe);
})();
`;
