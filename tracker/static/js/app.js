// Tracker's own scripts. Kept in a file: the Content-Security-Policy allows no inline script.
// Everything here only improves what already works without JavaScript.
(function () {
  "use strict";

  // Flash messages: the close button is shown only where it can work.
  document.querySelectorAll("[data-dismiss=alert]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var alert = button.closest(".alert");
      if (alert) alert.remove();
    });
  });

  // The header's <details> menus: one open at a time, closed by a click elsewhere or Escape.
  var menus = Array.prototype.slice.call(document.querySelectorAll("details.site-menu"));
  function closeAll(except) {
    menus.forEach(function (menu) {
      if (menu !== except) menu.open = false;
    });
  }
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (menu.open) closeAll(menu);
    });
  });
  document.addEventListener("click", function (event) {
    var inside = event.target.closest && event.target.closest("details.site-menu");
    closeAll(inside);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = menus.filter(function (menu) { return menu.open; });
    open.forEach(function (menu) {
      menu.open = false;
      if (menu.contains(document.activeElement)) menu.querySelector("summary").focus();
    });
  });
})();
