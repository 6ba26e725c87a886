// Staff delivery figures that refresh themselves every 5 seconds while an alert goes out,
// with a button to stop (WCAG 2.2.2). Without JavaScript, reloading the page shows the same.
(function () {
  "use strict";
  document.querySelectorAll("[data-live-url]").forEach(function (container) {
    var url = container.getAttribute("data-live-url");
    var toggle = document.querySelector("[data-live-toggle='" + container.id + "']");
    var timer = null;
    function refresh() {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          return response.ok ? response.text() : Promise.reject(response.status);
        })
        .then(function (html) {
          container.innerHTML = html;
        })
        .catch(function () {
          stop();
        });
    }
    function start() {
      timer = window.setInterval(refresh, 5000);
      if (toggle) {
        toggle.textContent = toggle.getAttribute("data-stop-label");
      }
    }
    function stop() {
      window.clearInterval(timer);
      timer = null;
      if (toggle) {
        toggle.textContent = toggle.getAttribute("data-start-label");
      }
    }
    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        if (timer) {
          stop();
        } else {
          refresh();
          start();
        }
      });
    }
    start();
  });
})();
