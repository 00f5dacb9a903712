// The drive widget tells the page that frames it how tall it is, so that the embed code's
// script can fit the frame to it (in any language, at any width). The height is no secret:
// any page may read it; the embedding page checks that the message comes from this site.
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var sent = 0;
  function tell() {
    var body = document.body;
    var height = Math.ceil(body.getBoundingClientRect().height +
      parseFloat(getComputedStyle(body).marginTop) + parseFloat(getComputedStyle(body).marginBottom));
    if (height !== sent) {
      sent = height;
      window.parent.postMessage({ trackerWidget: location.pathname, height: height }, "*");
    }
  }
  window.addEventListener("load", tell);
  window.addEventListener("resize", tell);
  if (window.ResizeObserver) { new ResizeObserver(tell).observe(document.body); }
  tell();
}());
