/* Behaviour every page shares, kept out of the templates: the Content-Security-Policy
   (script-src 'self') refuses inline handlers such as onchange="…" and hx-on:…="…".

   data-autosubmit        a select that sends its form when changed (the language menu)
   data-enter-stays       a field where Enter must not send the form (a picker's search box)
   data-percent="N"       an element N% wide (a progress bar): an inline style is refused */
(function () {
  "use strict";

  function applyPercents(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var found = Array.prototype.slice.call(scope.querySelectorAll("[data-percent]"));
    if (scope.matches && scope.matches("[data-percent]")) { found.push(scope); }
    found.forEach(function (el) {
      var n = parseFloat(el.getAttribute("data-percent"));
      if (!isNaN(n)) { el.style.width = Math.max(0, Math.min(100, n)) + "%"; }
    });
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) {
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
  });

  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key === "Enter" && el.matches && el.matches("[data-enter-stays]")) {
      event.preventDefault();
    }
  });

  // htmx:load fires for the page and for every piece htmx swaps in later.
  document.addEventListener("htmx:load", function (event) { applyPercents(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { applyPercents(document); });
  } else {
    applyPercents(document);
  }
})();
