// A History line's "Details" link (templates/audit/_history_line.html) opens the event's
// own page and works without this script. With it, the details open under the line
// instead, fetched once (the page's ?part=details fragment) and shown or hidden on each
// click; a refused or failed fetch follows the link, whose page says why.
(function () {
  "use strict";
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
        if (!response.ok) throw new Error(String(response.status));
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
