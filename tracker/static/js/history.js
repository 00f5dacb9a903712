// A History line's "Details" link (templates/audit/_history_line.html) opens the event's
// own page and works without this script. With it, the details open under the line
// instead, fetched once (the page's ?part=details fragment) and shown or hidden on each
// click; a refused or failed fetch follows the link, whose page says why.
//
// A History folded unread (templates/audit/_history_unread.html) holds a link to its whole
// page and works without this script too. With it, opening the fold fetches the section's
// latest events (the page's ?part=history) in its place; a failed fetch leaves the link.
(function () {
  "use strict";
  function readHistory(fold) {
    var unread = fold.querySelector("[data-history-part]");
    if (!unread || unread.getAttribute("data-history-reading")) return;
    unread.setAttribute("data-history-reading", "1");
    fetch(unread.getAttribute("data-history-part"), { credentials: "same-origin" })
      .then(function (response) {
        // Redirected: to the login page, the session having ended. Not a History.
        if (!response.ok || response.redirected) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        unread.outerHTML = html;  // the app's own escaped HTML, from the same origin
      })
      .catch(function () {
        unread.removeAttribute("data-history-reading");
      });
  }
  // "toggle" does not bubble: caught on its way down. A fold opened before this script ran
  // (by fold.js, for the address's #fragment) is read at once.
  document.addEventListener("toggle", function (event) {
    if (event.target.tagName === "DETAILS" && event.target.open) readHistory(event.target);
  }, true);
  Array.prototype.forEach.call(document.querySelectorAll("details[open]"), readHistory);
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.audit-details-link");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey ||
        event.altKey) {
      return;
    }
    event.preventDefault();
    var line = link.closest("li");
    var shown = line.querySelector(".audit-details-inline");
    if (shown) {
      shown.hidden = !shown.hidden;
      link.setAttribute("aria-expanded", String(!shown.hidden));
      return;
    }
    var address = new URL(link.href, window.location.href);
    address.searchParams.set("part", "details");
    fetch(address, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var box = document.createElement("div");
        box.className = "audit-details-inline small";
        box.id = line.id + "-details";
        box.innerHTML = html;  // the app's own escaped HTML, from the same origin
        line.appendChild(box);
        link.setAttribute("aria-controls", box.id);
        link.setAttribute("aria-expanded", "true");
      })
      .catch(function () {
        window.location.href = link.href;
      });
  });
})();
