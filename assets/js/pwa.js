// Installable web app: register the service worker (served from /sw.js so that it covers
// the whole site). Pages work the same without it, and without JavaScript.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !window.isSecureContext) {
    return;
  }
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
      // Not fatal: the site works without the offline pages.
    });
  });
})();
