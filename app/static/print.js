/* Buttons marked data-print print the page (no inline handlers: the CSP allows scripts from files only). */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
