/* Starts Swagger UI from the settings in #swagger-ui's data attribute (no inline script, so
   the page works under the site's Content-Security-Policy). */
(function () {
  "use strict";
  var node = document.getElementById("swagger-ui");
  if (!node || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  var config = JSON.parse(node.getAttribute("data-swagger-settings") || "{}");
  config.domNode = node;
  config.presets = [window.SwaggerUIBundle.presets.apis];
  window.SwaggerUIBundle(config);
})();
