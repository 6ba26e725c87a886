// Optional: keep the ballot's running total up to date as the resident ticks projects or
// types points. Without JavaScript the "Update the total" button does the same on the server.
(function () {
  "use strict";
  function init() {
    var form = document.querySelector("form.ec-pb-ballot");
    var box = document.getElementById("ballot-total");
    if (!form || !box) return;
    var amount = parseInt(form.dataset.amount, 10);
    var exponent = parseInt(form.dataset.exponent || "2", 10);
    var lang = document.documentElement.lang || "en";
    var money = new Intl.NumberFormat(lang, { style: "currency", currency: form.dataset.currency });
    var plural = new Intl.PluralRules(lang);
    function el(name) { return box.querySelector('[data-total="' + name + '"]'); }
    function update() {
      var cost = 0, chosen = 0, points = 0;
      form.querySelectorAll("[data-cost]").forEach(function (input) {
        var value = input.type === "checkbox" ? (input.checked ? 1 : 0) : parseInt(input.value, 10) || 0;
        if (value > 0) { cost += parseInt(input.dataset.cost, 10); chosen += 1; points += value; }
      });
      var left = amount - cost, scale = Math.pow(10, exponent);
      var count = el("count");
      count.textContent = count.dataset[plural.select(chosen) === "one" ? "one" : "other"].replace(/\d+/, String(chosen));
      el("cost").textContent = money.format(cost / scale);
      el("left").textContent = money.format(Math.abs(left) / scale);
      el("left").classList.toggle("ec-pb-over", left < 0);
      var label = el("left-label");
      label.textContent = left < 0 ? label.dataset.over : label.dataset.left;
      var bar = el("bar");
      bar.setAttribute("width", String(Math.min(100, Math.floor(cost * 100 / amount))));
      bar.classList.toggle("ec-pb-meter__fill--over", left < 0);
      var given = el("points");
      if (given) given.textContent = given.textContent.replace(/^\d+/, String(points));
    }
    form.addEventListener("change", update);
    form.addEventListener("input", update);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
